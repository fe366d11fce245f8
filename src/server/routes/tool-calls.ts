/**
 * GET /tools/:name/calls?limit= → how often the tool was called and how often it failed, with the
 * recent calls newest first ({at, outcome, duration_ms, error, version, args, result}: the arguments
 * and the result as one-line previews; limit 1–100, default 20).
 * The calls are those this server recorded (see ../console/activity.ts). A tool that was never
 * installed is a 404; one that exists but was never called answers with zero calls.
 */
import { Router } from "express";
import { z } from "zod";
import { checkToolName } from "../../store/ids.js";
import type { Store } from "../../store/types.js";
import { noSuchTool } from "../../tools/no-such-tool.js";
import { RECENT_LIMIT, type ActivityJournal } from "../console/activity.js";
import { limitParam, parseQuery } from "./query.js";

const callsQuery = z.strictObject({ limit: limitParam(20, RECENT_LIMIT) });

export function toolCallsRouter(store: Store, journal: ActivityJournal): Router {
  const router = Router();
  router.get("/tools/:name/calls", async (req, res) => {
    const name = checkToolName(req.params.name);
    const { limit } = parseQuery(callsQuery, req.query);
    if (!(await store.getTool(name))) {
      throw noSuchTool(name);
    }
    const stats = await journal.toolCalls(name);
    res.json({
      name,
      calls: stats.calls,
      failures: stats.failures,
      recent: stats.recent.slice(0, limit).map((call) => ({
        at: call.at,
        outcome: call.outcome,
        duration_ms: call.durationMs,
        error: call.error,
        version: call.version,
        args: call.args,
        result: call.result,
        requests: call.requests.map((r) => ({
          host: r.host,
          method: r.method,
          status: r.status,
          bytes: r.bytes,
          duration_ms: r.durationMs,
          refused: r.refused,
        })),
      })),
    });
  });
  return router;
}
