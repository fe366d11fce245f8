/**
 * What any JSON body is checked for before a route validates it (400 otherwise):
 * - nesting deeper than MAX_JSON_DEPTH: the validators walk bodies recursively, and 3,000 levels
 *   (12 KB, far under the size limit) would overflow their stack;
 * - a `__proto__` key at any depth: JSON.parse keeps it as an ordinary key, but the validators copy
 *   objects by assignment, where `__proto__` sets the copy's prototype instead — the key would be
 *   dropped without a word (or, copied by other code, reach a prototype). It is refused, named.
 * One walk, without recursion.
 */
import type { RequestHandler } from "express";
import { HttpError } from "./errors.js";

/** The deepest nesting of arrays and objects a request body may have (`{"a": [1]}` is 2). */
export const MAX_JSON_DEPTH = 64;

const FORBIDDEN_KEY = "__proto__";

type Problem = { kind: "too_deep" } | { kind: "forbidden_key"; path: string };

/** The first problem of `value` (see the top), or null. */
function jsonProblem(value: unknown, limit: number): Problem | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: "" }];
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > limit) return { kind: "too_deep" };
    const isArray = Array.isArray(current);
    const keys = isArray ? current.keys() : Object.keys(current);
    for (const key of keys) {
      const child: unknown = (current as Record<string | number, unknown>)[key];
      const at = () => (path === "" ? String(key) : `${path}.${key}`);
      if (!isArray && key === FORBIDDEN_KEY) return { kind: "forbidden_key", path: at() };
      if (child !== null && typeof child === "object") stack.push({ value: child, depth: depth + 1, path: at() });
    }
  }
  return null;
}

export function refuseUnsafeJson(limit: number = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    const problem = jsonProblem(req.body, limit);
    if (problem?.kind === "too_deep") {
      return next(
        new HttpError(400, "body_too_deep", `the request body nests arrays and objects more than ${limit} levels deep`, {
          hint: `flatten it: ToolForge accepts at most ${limit} levels of nesting`,
        }),
      );
    }
    if (problem?.kind === "forbidden_key") {
      return next(
        new HttpError(400, "forbidden_key", `the request body has the key "${FORBIDDEN_KEY}" at ${problem.path}: it is never accepted`, {
          hint: `rename the key: "${FORBIDDEN_KEY}" would set an object's prototype rather than hold a value`,
          param: problem.path,
        }),
      );
    }
    next();
  };
}
