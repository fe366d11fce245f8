/**
 * A JSON body nested deeper than MAX_JSON_DEPTH is refused (400) before any route validates it:
 * the validators walk bodies recursively, and 3,000 levels (12 KB, far under the size limit) would
 * overflow their stack. The depth is measured without recursion.
 */
import type { RequestHandler } from "express";
import { HttpError } from "./errors.js";

/** The deepest nesting of arrays and objects a request body may have (`{"a": [1]}` is 2). */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests arrays and objects deeper than `limit`. */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === "object") stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

export function refuseDeepJson(limit: number = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    if (deeperThan(req.body, limit)) {
      return next(
        new HttpError(400, "body_too_deep", `the request body nests arrays and objects more than ${limit} levels deep`, {
          hint: `flatten it: ToolForge accepts at most ${limit} levels of nesting`,
        }),
      );
    }
    next();
  };
}
