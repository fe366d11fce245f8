/**
 * Query strings and path parameters of the read routes, validated strictly: an unknown parameter,
 * a repeated one or a value out of range is a 400 that names the parameter and what is wrong.
 */
import { z } from "zod";
import { HttpError } from "../errors.js";

/** `limit`: a whole number from 1 to `max` (default `fallback`). */
export function limitParam(fallback: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,6}$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be a whole number from 1 to ${max}`).max(max, `must be at most ${max}`))
    .default(fallback);
}

/** Routes that take no query parameters: any one is refused. */
export const noQuery = z.strictObject({});

/** Parses `query` (express's parsed query string) with a strict object schema; 400 naming the parameter otherwise. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return `unknown parameter${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
    const field = issue.path.map(String).join(".") || "query";
    return `${field}: ${issue.message.replace(/^Invalid input: /, "")}`;
  });
  const first = parsed.error.issues[0];
  const param = first?.code === "unrecognized_keys" ? first.keys[0] : first?.path.map(String).join(".") || undefined;
  throw new HttpError(400, "invalid_query", `invalid query string: ${problems.join("; ")}`, {
    hint: "see docs/console.md for the parameters each route accepts",
    ...(param ? { param } : {}),
  });
}
