/** Conversation thread ids: given by the client (validated) or fresh per request. */
import { createHash, randomUUID } from "node:crypto";
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

/**
 * The thread of an OpenAI request's `user` field. Clients put display names there ("Zoë Müller",
 * emoji, spaces): any string is accepted. One that is already a valid thread id is used as it is
 * (so existing threads keep their key); any other becomes `user-<sha256 prefix>`, the same key for
 * the same user every time. An empty `user` names nobody: no thread (a fresh one per request).
 */
export function threadKeyFromUser(user: string | undefined): string | undefined {
  if (user === undefined || user === "") return undefined;
  if (threadIdSchema.safeParse(user).success) return user;
  return `user-${createHash("sha256").update(user, "utf8").digest("hex").slice(0, 32)}`;
}
