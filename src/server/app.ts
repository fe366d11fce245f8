/**
 * The express app, without listening: routes, body limits, API key, request log and one error
 * shape (see errors.ts). Everything it uses is passed in, so tests build it with stubs or with the
 * real graph; `startServer` (start.ts) builds the real parts and listens.
 */
import express, { type ErrorRequestHandler, type Router } from "express";
import type { Logger } from "pino";
import type { EventBus } from "../events.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import type { Store } from "../store/types.js";
import { apiKeyCheck, requireApiKey } from "./auth.js";
import { requireLoopbackHost } from "./host-guard.js";
import { refuseCrossOrigin, requireJsonContentType } from "./origin-guard.js";
import { serialisePerThread } from "./chat/serialised.js";
import type { ChatService } from "./chat/types.js";
import { HttpError } from "./errors.js";
import { MAX_JSON_DEPTH, refuseUnsafeJson } from "./json-depth.js";
import { mcpBodyErrors } from "./mcp-body-errors.js";
import { resolveFailure } from "./failure.js";
import type { HealthReport } from "./health.js";
import { requestLog, type RequestLogLocals } from "./logger.js";
import { consoleAssetsRouter, consoleDataRouter, createActivityJournal, publishTurns, type ActivityJournal } from "./console/index.js";
import { chatRouter } from "./routes/chat.js";
import { eventsRouter } from "./routes/events.js";
import { healthRouter } from "./routes/health.js";
import { openAiRouter } from "./routes/openai.js";
import { toolsRouter, type ToolLibraryDeps } from "./routes/tools.js";
import { Lifecycle } from "../service/lifecycle.js";
import { errorMessage } from "../errors.js";

/** The largest JSON body accepted; larger bodies get a 413. */
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppDeps {
  /** One user turn through the graph (the app serialises turns per thread itself). */
  chat: ChatService;
  store: Store;
  bus: EventBus;
  health: () => Promise<HealthReport>;
  logger: Logger;
  /** config.ollamaHost: to recognise and explain a refused connection to Ollama. */
  ollamaHost: string;
  /** TOOLFORGE_API_KEY: when set, every route but /healthz needs it as a Bearer token. */
  apiKey?: string | undefined;
  /** Search (GET /tools?q=) and adding tools (POST /tools); without it, search is the store's and adding is refused. */
  library?: ToolLibraryDeps;
  /** More routers mounted at `/` after the built-in routes (the objects router). */
  routers?: Router[];
  /** Heartbeat comments on SSE streams (default 15 s). */
  heartbeatMs?: number;
  /** The per-thread lock (default: a new one); shared when two apps serve one process. */
  threadLock?: KeyedSerial;
  /** Shutdown state and open streams (default: a new one); startServer passes its own. */
  lifecycle?: Lifecycle;
  /** The console's record of tool calls and messages (default: a new one); startServer passes its own, to flush it at shutdown. */
  journal?: ActivityJournal;
}

export function createApp(deps: AppDeps): express.Express {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const errorContext = { ollamaHost: deps.ollamaHost };
  const chat = serialisePerThread(publishTurns(deps.chat, deps.bus), deps.threadLock ?? new KeyedSerial());
  const lifecycle = deps.lifecycle ?? new Lifecycle();

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestLog(deps.logger));
  app.use(requireLoopbackHost(deps.apiKey));
  // A page on another origin can make the browser send simple requests here: see origin-guard.ts.
  app.use(refuseCrossOrigin());
  const keyCheck = apiKeyCheck(deps.apiKey);
  const trusted = (req: express.Request) => ["no_key_needed", "ok"].includes(keyCheck(req));
  app.use(healthRouter(deps.health, () => lifecycle.shuttingDown, trusted));
  // The web console's page and assets need no key; its data routes come after the check: see src/server/console.
  app.use(consoleAssetsRouter());
  app.use(requireApiKey(deps.apiKey));
  const journal = deps.journal ?? createActivityJournal(deps.store, deps.bus, deps.logger);
  app.use(consoleDataRouter({ store: deps.store, journal }));
  app.use(requireJsonContentType());
  app.use(express.json({ limit: BODY_LIMIT_BYTES }));
  // Before any route validates it: a body nested thousands deep would overflow the validator's stack,
  // and a __proto__ key would be dropped by it without a word (json-depth.ts).
  app.use(refuseUnsafeJson(MAX_JSON_DEPTH));
  app.use(mcpBodyErrors(errorContext));
  app.use(openAiRouter({ chat, logger: deps.logger, errorContext, heartbeatMs }));
  app.use(chatRouter(chat));
  app.use(toolsRouter(deps.store, deps.bus, deps.library));
  app.use(eventsRouter(deps.bus, { heartbeatMs, lifecycle }));
  for (const router of deps.routers ?? []) app.use(router);

  app.use((req, _res, next) => {
    next(
      new HttpError(404, "route_not_found", `no route for ${req.method} ${req.path}`, {
        hint: "see docs/server.md for the routes this server has",
      }),
    );
  });

  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    if (res.destroyed && !res.writableFinished) {
      // The client went away mid-turn (its turn was aborted): nobody to answer, nothing went wrong.
      deps.logger.info({ method: req.method, path: req.path, reason: errorMessage(error) }, "client gone");
      return;
    }
    const failure = resolveFailure(error, errorContext, deps.logger, { method: req.method, path: req.path });
    if (failure.errorId) (res.locals as RequestLogLocals).errorId = failure.errorId;
    if (res.headersSent) {
      // A stream was already under way: the client sees the connection end.
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
    res.status(failure.status).json(failure.body);
  };
  app.use(onError);

  return app;
}
