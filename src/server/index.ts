/** The HTTP server: the app factory (no listening) and the server with its runtime and shutdown. */
export type { AppDeps } from "./app.js";
export { startServer, type RunningServer, type StartOptions } from "./start.js";
export type { StreamingGraph } from "./chat/graph-chat.js";
export type { ChatInputMessage, ChatProgress, ChatService, ChatTurnRequest, ChatTurnResult } from "./chat/types.js";
export type { ErrorBody } from "./errors.js";
export type { ComponentStatus, HealthReport } from "./health.js";
