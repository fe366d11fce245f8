/**
 * `startServer(config)`: builds the runtime (store, sandbox, bus, registry, forge) and the agent
 * graph, serves the app, and shuts down cleanly: on close (or SIGTERM/SIGINT) it stops accepting
 * connections, ends /events streams, lets running requests finish (bounded), writes the tool calls
 * and messages the console recorded, then closes the runtime — the store, and the sandbox with its
 * containers.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { DestinationStream, Logger } from "pino";
import type { Config } from "../config.js";
import { createRuntime, type Runtime, type RuntimeOverrides } from "../runtime.js";
import { createAgentChat } from "./agent.js";
import { createApp } from "./app.js";
import { CONSOLE_PAGE, createActivityJournal, type ActivityJournal } from "./console/index.js";
import type { ChatService } from "./chat/types.js";
import { createHealthCheck, ollamaProbe } from "./health.js";
import { modelsProbe, storeProbe, sandboxProbe } from "./health-probes.js";
import { checkPersonaModels, describeProblems } from "../personas/capabilities.js";
import { Lifecycle } from "../service/lifecycle.js";
import { assertSafeListen } from "./listen-policy.js";
import { createLogger, logDiagnostics } from "../service/logger.js";
import { createObjectSpace } from "../objects/index.js";
import { createObjectsRouter } from "./objects-router.js";
import { createMcpRouter } from "../mcp/http.js";
import { startRecovery, type Recovery } from "./recovery.js";
import { onTermination } from "../util/termination.js";

export interface StartOptions {
  /** A runtime to serve (the caller closes it); default: one built from `config` and closed on shutdown. */
  runtime?: Runtime;
  /** Parts for the runtime this server builds (ignored with `runtime`). */
  runtimeOverrides?: RuntimeOverrides;
  /** The chat service (default: the agent graph on the runtime). */
  chat?: ChatService;
  logger?: Logger;
  /** Where the default logger writes (default stdout). */
  logDestination?: DestinationStream;
  /** Install SIGTERM/SIGINT handlers that close the server and exit (default true; tests pass false). */
  handleSignals?: boolean;
  /** How long running requests may take to finish at shutdown (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Heartbeat comments on SSE streams (default 15 s). */
  heartbeatMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  /** The web console's page, e.g. http://127.0.0.1:8000/ */
  consoleUrl: string;
  port: number;
  runtime: Runtime;
  logger: Logger;
  /** Stops the server gracefully; resolves when everything is closed. Safe to call twice. */
  close(): Promise<void>;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const { host, port, apiKey } = config.server;
  assertSafeListen(host, apiKey, config.egressAllowLoopback);
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const ownsRuntime = !options.runtime;
  const runtime = options.runtime ?? (await createRuntime(config, options.runtimeOverrides));
  let recovery: Recovery | undefined;
  let journal: ActivityJournal | undefined;
  try {
    const chat = options.chat ?? (await createAgentChat(runtime));
    await logModelCheck(config, logger);
    const stopLoggingModels = logModelWarnings(runtime, logger);
    // What any part reports going wrong in the background goes to the server's log.
    const stopLoggingDiagnostics = logDiagnostics(runtime.diagnostics, logger);
    const lifecycle = new Lifecycle();
    // Messages to objects run in the background after their 202: shutdown waits for them too.
    const objects = createObjectSpace(runtime);
    recovery = await startRecovery(objects, logger);
    journal = createActivityJournal(runtime.store, runtime.bus, logger);
    const app = createApp({
      chat,
      store: runtime.store,
      bus: runtime.bus,
      health: createHealthCheck({
        store: storeProbe(runtime.store),
        sandbox: sandboxProbe(config),
        ollama: ollamaProbe(config.ollamaHost),
        models: modelsProbe(config),
      }),
      logger,
      ollamaHost: config.ollamaHost,
      apiKey,
      library: {
        registry: runtime.registry,
        bindLimit: config.toolBindLimit,
        addTool: (module) => runtime.admission.addTool(module),
        updateTool: (name, signal) => runtime.admission.updateTool(name, signal),
      },
      // The objects routes (/message, /objects), written with the objects feature.
      routers: [createObjectsRouter({ ...runtime, objects }), createMcpRouter({ runtime, logger, lifecycle })],
      lifecycle,
      journal,
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    });
    const server = http.createServer(app);
    const requests = trackRequests(server);
    await listen(server, port, host);
    const address = server.address() as AddressInfo;
    const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
    logger.info({ url, store: runtime.store.location, apiKey: Boolean(apiKey) }, "listening");

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= shutdown({
        server,
        lifecycle,
        requests,
        logger,
        timeoutMs: options.shutdownTimeoutMs ?? 10_000,
        backgroundWork: () => {
          recovery?.stop();
          return objects.settled();
        },
        closeRuntime: async () => {
          stopLoggingModels();
          // The tool calls and messages seen so far go into the event log before the store closes.
          journal?.stop();
          await journal?.flushed();
          if (ownsRuntime) await runtime.close();
          stopLoggingDiagnostics();
        },
      });
      return closing;
    };
    if (options.handleSignals ?? true) installSignalHandlers(close, logger);
    return { url, consoleUrl: new URL(CONSOLE_PAGE, url).href, port: address.port, runtime, logger, close };
  } catch (error) {
    recovery?.stop();
    journal?.stop();
    if (ownsRuntime) await runtime.close();
    throw error;
  }
}

/** At start: every configured model checked once; what is wrong is logged with its fix (the server starts anyway). */
async function logModelCheck(config: Config, logger: Logger): Promise<void> {
  const report = await checkPersonaModels(config, { timeoutMs: 2_000 });
  if (report.ok) {
    logger.info({ models: report.personas.map((p) => ({ persona: p.persona, model: p.model, numCtx: p.numCtx })) }, "models ready");
    return;
  }
  const fixes = report.ollama.reachable
    ? [...new Set(report.personas.filter((p) => !p.ok && p.fix).map((p) => p.fix))]
    : [report.ollama.fix];
  logger.warn({ problems: describeProblems(report), fixes }, "models not ready: the agent will fail or work with less until this is fixed");
}

/** The model warnings published on the bus during turns (a prompt Ollama cut), in the server's log. */
function logModelWarnings(runtime: Runtime, logger: Logger): () => void {
  return runtime.bus.subscribe((event) => {
    if (event.type !== "model.context_truncated") return;
    logger.warn(
      { ...event },
      `Ollama read ${event.promptEvalCount} of about ${event.estimatedTokens} prompt tokens for ${event.persona} (${event.model}, num_ctx ${event.numCtx}): the start of the prompt was cut`,
    );
  });
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

interface RequestTracker {
  readonly active: number;
  /** Resolves when no request is running (at once if none is). */
  idle(): Promise<void>;
}

function trackRequests(server: http.Server): RequestTracker {
  let active = 0;
  let waiters: (() => void)[] = [];
  server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
    active += 1;
    res.once("close", () => {
      active -= 1;
      if (active === 0) {
        for (const wake of waiters) wake();
        waiters = [];
      }
    });
  });
  return {
    get active() {
      return active;
    },
    idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

async function shutdown(parts: {
  server: http.Server;
  lifecycle: Lifecycle;
  requests: RequestTracker;
  logger: Logger;
  timeoutMs: number;
  /** Work that outlives its request (messages to objects); waited for within the same bound. */
  backgroundWork: () => Promise<void>;
  closeRuntime: () => Promise<void>;
}): Promise<void> {
  const { server, lifecycle, requests, logger, timeoutMs } = parts;
  logger.info({ running: requests.active, timeoutMs }, "shutting down: no new connections; waiting for running requests");
  lifecycle.beginShutdown();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    Promise.all([requests.idle(), parts.backgroundWork()]).then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut)
    logger.warn({ running: requests.active }, `requests or messages still running after ${timeoutMs} ms: closing their connections`);
  server.closeAllConnections();
  await closed;
  await parts.closeRuntime();
  logger.info("stopped");
}

function installSignalHandlers(close: () => Promise<void>, logger: Logger): void {
  onTermination((signal) => {
    logger.info({ signal }, "signal received");
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  }, logger);
}
