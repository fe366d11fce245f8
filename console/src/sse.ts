/** The console reads /events and chat streams with the same SSE reader as the CLI. */
export { readSse, type SseMessage } from "../../src/util/sse-reader.js";
