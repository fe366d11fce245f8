/**
 * Request bodies are validated with zod; a bad body becomes a 400 whose message names each field
 * and what is wrong with it ("thread_id: expected string, received number").
 */
import type { z } from "zod";
import { HttpError } from "./errors.js";

/** Parses `body` with `schema`; throws HttpError 400 naming the fields that are wrong. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined) {
    throw new HttpError(400, "invalid_body", "the request body is missing: send a JSON object", {
      hint: "set Content-Type: application/json and send a JSON object",
    });
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => describeIssue(issue));
  const first = parsed.error.issues[0];
  const param = first && first.path.length > 0 ? first.path.map(String).join(".") : undefined;
  return failWith(problems, param);
}

function failWith(problems: string[], param: string | undefined): never {
  throw new HttpError(400, "invalid_body", `invalid request body: ${problems.join("; ")}`, param ? { param } : {});
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "body";
  const message = issue.message.replace(/^Invalid input: /, "");
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
    return `${field} is required (${message.replace(/, received undefined$/, "")})`;
  }
  return `${field}: ${message}`;
}
