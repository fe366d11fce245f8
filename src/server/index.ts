/** The HTTP server: the app factory (no listening) and the server with its runtime and shutdown. */
export { createApp, BODY_LIMIT_BYTES, type AppDeps } from "./app.js";
export { startServer, type RunningServer, type StartOptions } from "./start.js";
export { createAgentChat } from "./agent.js";
export { createGraphChatService, type StreamingGraph } from "./chat/graph-chat.js";
export { serialisePerThread } from "./chat/serialised.js";
export type { ChatInputMessage, ChatProgress, ChatService, ChatTurnRequest, ChatTurnResult } from "./chat/types.js";
export { HttpError, type ErrorBody } from "./errors.js";
export { createHealthCheck, type ComponentStatus, type HealthReport } from "./health.js";
export { assertSafeListen, isLoopback } from "./listen-policy.js";
export { createLogger } from "./logger.js";
