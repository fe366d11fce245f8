/**
 * `startServer(config)`: builds the runtime (store, sandbox, bus, registry, forge) and the agent
 * graph, serves the app, and shuts down cleanly: on close (or SIGTERM/SIGINT) it stops accepting
 * connections, ends /events streams, lets running requests finish (bounded), then closes the
 * runtime — the store, and the sandbox with its containers.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { DestinationStream, Logger } from "pino";
import type { Config } from "../config.js";
import { createRuntime, type Runtime, type RuntimeOverrides } from "../runtime.js";
import { createAgentChat } from "./agent.js";
import { createApp } from "./app.js";
import type { ChatService } from "./chat/types.js";
import { createHealthCheck, ollamaProbe } from "./health.js";
import { storeProbe, sandboxProbe } from "./health-probes.js";
import { Lifecycle } from "./lifecycle.js";
import { assertSafeListen } from "./listen-policy.js";
import { createLogger } from "./logger.js";
import { createObjectSpace } from "../objects/index.js";
import { createObjectsRouter } from "./objects-router.js";
import { startRecovery, type Recovery } from "./recovery.js";

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
  port: number;
  runtime: Runtime;
  logger: Logger;
  /** Stops the server gracefully; resolves when everything is closed. Safe to call twice. */
  close(): Promise<void>;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const { host, port, apiKey } = config.server;
  assertSafeListen(host, apiKey);
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const ownsRuntime = !options.runtime;
  const runtime = options.runtime ?? (await createRuntime(config, options.runtimeOverrides));
  let recovery: Recovery | undefined;
  try {
    const chat = options.chat ?? (await createAgentChat(runtime));
    const lifecycle = new Lifecycle();
    // Messages to objects run in the background after their 202: shutdown waits for them too.
    const objects = createObjectSpace(runtime);
    recovery = await startRecovery(objects, logger);
    const app = createApp({
      chat,
      store: runtime.store,
      bus: runtime.bus,
      health: createHealthCheck({
        store: storeProbe(runtime.store),
        sandbox: sandboxProbe(config),
        ollama: ollamaProbe(config.ollamaHost),
      }),
      logger,
      ollamaHost: config.ollamaHost,
      apiKey,
      // The objects routes (/message, /objects), written with the objects feature.
      routers: [createObjectsRouter({ ...runtime, objects })],
      lifecycle,
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
        closeRuntime: ownsRuntime ? () => runtime.close() : async () => undefined,
      });
      return closing;
    };
    if (options.handleSignals ?? true) installSignalHandlers(close, logger);
    return { url, port: address.port, runtime, logger, close };
  } catch (error) {
    recovery?.stop();
    if (ownsRuntime) await runtime.close();
    throw error;
  }
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
  if (timedOut) logger.warn({ running: requests.active }, `requests or messages still running after ${timeoutMs} ms: closing their connections`);
  server.closeAllConnections();
  await closed;
  await parts.closeRuntime();
  logger.info("stopped");
}

function installSignalHandlers(close: () => Promise<void>, logger: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(130);
    }
    received = true;
    logger.info({ signal }, "signal received");
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
