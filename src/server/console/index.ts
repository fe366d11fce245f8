/**
 * The web console: its page and assets (open: they hold no data), and the read routes it uses
 * besides the existing ones (behind the API key): forge runs, tool calls, objects, messages,
 * conversations.
 * The app mounts `consoleAssetsRouter` before its own API-key check and `consoleDataRouter` after it.
 */
import { Router } from "express";
import type { Store } from "../../store/types.js";
import { conversationsRouter } from "../routes/conversations.js";
import { forgeRunsRouter } from "../routes/forge-runs.js";
import { objectListRouter } from "../routes/object-list.js";
import { toolCallsRouter } from "../routes/tool-calls.js";
import type { ActivityJournal } from "./activity.js";

export { createActivityJournal, type ActivityJournal } from "./activity.js";
export { CONSOLE_PAGE, consoleAssetsRouter } from "./assets.js";
export { publishTurns } from "./turn-events.js";

export interface ConsoleDeps {
  store: Store;
  /** The recorded tool calls and messages the console's routes read. */
  journal: ActivityJournal;
}

/** The console's data routes; they check no key themselves: the app mounts them after its own check. */
export function consoleDataRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.use(
    forgeRunsRouter(deps.store),
    toolCallsRouter(deps.store, deps.journal),
    objectListRouter(deps.store, deps.journal),
    conversationsRouter(deps.store),
  );
  return router;
}
