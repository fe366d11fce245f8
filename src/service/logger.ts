/** The structured logger (pino, JSON lines) of the long-running faces: the server and the MCP server. */
import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config.js";
import type { DiagnosticsChannel } from "../diagnostics.js";

export type { Logger } from "pino";

export function createLogger(level: Config["logLevel"], destination?: DestinationStream): Logger {
  const options = { level, base: { service: "toolforge" } };
  return destination ? pino(options, destination) : pino(options);
}

/** Sends every diagnostic of the channel to the log (as a warning, with its source); returns the unsubscribe. */
export function logDiagnostics(channel: DiagnosticsChannel, logger: Logger): () => void {
  return channel.subscribe(({ source, message, details }) => logger.warn({ component: source, ...details }, message));
}
