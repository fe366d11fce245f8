/**
 * The MCP face over stdio, for clients that start ToolForge themselves (Claude Desktop, Claude
 * Code, Cursor, VS Code): stdin and stdout carry the protocol and nothing else; logs and warnings go
 * to stderr. It serves until the client closes stdin (or SIGTERM/SIGINT), then closes the runtime
 * it opened — the sandbox with its containers, and the store.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { pino, type Logger } from "pino";
import type { Config } from "../config.js";
import { errorMessage } from "../errors.js";
import { createRuntime, type Runtime, type RuntimeOverrides } from "../runtime.js";
import { createLogger, logDiagnostics } from "../service/logger.js";
import { mcpDepsFromRuntime } from "./deps.js";
import { McpFace, type McpDeps } from "./server.js";
import { onTermination } from "../util/termination.js";

export interface StdioOptions {
  /** A runtime to serve (the caller closes it); default: one built from the config and closed at the end. */
  runtime?: Runtime;
  runtimeOverrides?: RuntimeOverrides;
  input?: NodeJS.ReadableStream & { pause(): unknown };
  output?: NodeJS.WritableStream;
  /** Default: pino to stderr at LOG_LEVEL. */
  logger?: Logger;
  deps?: Partial<McpDeps>;
  /** Install SIGTERM/SIGINT handlers that end the session (default true). */
  handleSignals?: boolean;
}

/** Serves one MCP client over stdio; resolves when the session has ended and the runtime is closed. */
export async function serveMcpOverStdio(config: Config, options: StdioOptions = {}): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  if (output === process.stdout) keepConsoleOffStdout();
  const logger = options.logger ?? createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
  const runtime = options.runtime ?? (await createRuntime(config, options.runtimeOverrides));
  // stdout carries the protocol: what goes wrong in the background goes to the log on stderr.
  const stopLogging = logDiagnostics(runtime.diagnostics, logger);
  const face = new McpFace({ ...mcpDepsFromRuntime(runtime), ...options.deps });
  try {
    const session = await face.connect(new StdioServerTransport(input as NodeJS.ReadStream, output as NodeJS.WriteStream));
    logger.info({ store: runtime.store.location, sandbox: config.sandbox.runtime }, "serving MCP over stdio");
    const end = () => void session.close();
    input.once("end", end);
    input.once("close", end);
    const stopSignals =
      options.handleSignals === false
        ? () => undefined
        : onTermination((signal) => {
            logger.info({ signal }, "signal received: ending the MCP session");
            end();
          }, logger);
    await session.closed;
    input.off("end", end);
    input.off("close", end);
    stopSignals();
    logger.info("the MCP client closed the session");
  } finally {
    await face.close();
    if (!options.runtime) {
      await runtime.close().catch((error: unknown) => logger.error({ err: error }, `closing the runtime failed: ${errorMessage(error)}`));
    }
    stopLogging();
  }
}

/** Anything a dependency prints with console.log must not land in the protocol stream. */
function keepConsoleOffStdout(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
