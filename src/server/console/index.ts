/**
 * The web console: its page and assets (open: they hold no data), and the read routes it uses
 * besides the existing ones (behind the API key): forge runs, tool calls, objects, messages.
 * The app mounts `consoleRouter` once, before its own API-key check.
 */
import { Router } from "express";
import type { Logger } from "pino";
import type { EventBus } from "../../events.js";
import type { Store } from "../../store/types.js";
import { requireApiKey } from "../auth.js";
import { forgeRunsRouter } from "../routes/forge-runs.js";
import { objectListRouter } from "../routes/object-list.js";
import { toolCallsRouter } from "../routes/tool-calls.js";
import { createActivityJournal } from "./activity.js";
import { consoleAssetsRouter } from "./assets.js";

export { publishTurns } from "./turn-events.js";

export interface ConsoleDeps {
  store: Store;
  bus: EventBus;
  apiKey?: string | undefined;
  logger?: Logger;
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const journal = createActivityJournal(deps.store, deps.bus, deps.logger);
  const router = Router();
  router.use(consoleAssetsRouter());
  router.use(
    requireApiKey(deps.apiKey),
    forgeRunsRouter(deps.store),
    toolCallsRouter(deps.store, journal),
    objectListRouter(deps.store, journal),
  );
  return router;
}
