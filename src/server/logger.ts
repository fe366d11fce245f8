/** The one-line-per-request log (the logger itself: src/service/logger.ts). */
import { performance } from "node:perf_hooks";
import type { RequestHandler } from "express";
import type { Logger } from "../service/logger.js";

/**
 * What route handlers leave in `res.locals` for the request line: the conversation thread and,
 * for a 500, the error id that the error handler also logged.
 */
export interface RequestLogLocals {
  threadId?: string;
  errorId?: string;
}

/** Logs one line per request when its response is finished or the client went away. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const path = req.path;
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const locals = res.locals as RequestLogLocals;
      const line = {
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        thread: locals.threadId,
        errorId: locals.errorId,
        aborted: !res.writableFinished || undefined,
      };
      if (res.statusCode >= 500) logger.error(line, "request");
      else logger.info(line, "request");
    };
    res.on("finish", log);
    res.on("close", log);
    next();
  };
}
