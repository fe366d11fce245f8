/** Conversation thread ids: given by the client (validated) or fresh per request. */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { HttpError } from "./errors.js";

export const threadIdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

/** The first given id (validated; `source` names it in the error), or a fresh one. */
export function resolveThreadId(candidates: { source: string; value: string | undefined }[]): { threadId: string; given: boolean } {
  for (const { source, value } of candidates) {
    if (value === undefined) continue;
    const parsed = threadIdSchema.safeParse(value);
    if (!parsed.success) {
      throw new HttpError(400, "invalid_thread_id", `${source}: ${parsed.error.issues[0]?.message ?? "invalid thread id"}`, {
        param: source,
      });
    }
    return { threadId: parsed.data, given: true };
  }
  return { threadId: randomUUID(), given: false };
}
