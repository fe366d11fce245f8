/**
 * The conversations kept in the checkpointer, read-only:
 *   GET /threads?limit=  → {threads: [{id, title, turns, updated_at}]} the most recently written
 *                          first (limit 1–200, default 50); `title` is the first question, cut.
 *   GET /threads/:id     → {id, title, turns, updated_at, messages: [{role, content}]}: each user
 *                          message and the answer given to it (ALFRED's), in order; a turn that
 *                          got no answer (it failed or was stopped) has only its question. The
 *                          team's notes, tool calls and the forge's notes are not included.
 */
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { Router } from "express";
import { z } from "zod";
import { NotFoundError } from "../../errors.js";
import { isUserMessage, spokenText, textOf } from "../../graph/conversation.js";
import { NODES } from "../../graph/routing.js";
import type { Store } from "../../store/types.js";
import { truncate } from "../../util/text.js";
import { HttpError } from "../errors.js";
import { threadIdSchema } from "../threads.js";
import { limitParam, noQuery, parseQuery } from "./query.js";

const TITLE_CHARS = 80;

const listQuery = z.strictObject({ limit: limitParam(50, 200) });

export interface ConversationMessage {
  role: "user" | "assistant";
  content: string;
}

export function conversationsRouter(store: Store): Router {
  const router = Router();

  router.get("/threads", async (req, res) => {
    const { limit } = parseQuery(listQuery, req.query);
    const ids = await store.listThreads({ limit });
    const threads = [];
    for (const id of ids) {
      const thread = await readThread(store, id);
      if (thread) threads.push(summaryJson(thread));
    }
    res.json({ threads });
  });

  router.get("/threads/:id", async (req, res) => {
    parseQuery(noQuery, req.query);
    const parsed = threadIdSchema.safeParse(req.params.id);
    if (!parsed.success) {
      throw new HttpError(400, "invalid_thread_id", `thread id: ${parsed.error.issues[0]?.message ?? "invalid"}`, { param: "id" });
    }
    const thread = await readThread(store, parsed.data);
    if (!thread) throw new NotFoundError(`no conversation "${parsed.data}"`, "GET /threads lists the conversations that exist");
    res.json({ ...summaryJson(thread), messages: thread.messages });
  });

  return router;
}

interface Thread {
  id: string;
  updatedAt: string;
  messages: ConversationMessage[];
}

async function readThread(store: Store, id: string): Promise<Thread | null> {
  const tuple = await store.checkpointer().getTuple({ configurable: { thread_id: id } });
  if (!tuple) return null;
  const values = tuple.checkpoint.channel_values as { messages?: unknown };
  const stored = Array.isArray(values.messages) ? (values.messages as BaseMessage[]) : [];
  return { id, updatedAt: tuple.checkpoint.ts, messages: conversationOf(stored) };
}

/** Each user message, then the last answer of its turn (when it got one). */
function conversationOf(messages: BaseMessage[]): ConversationMessage[] {
  const out: ConversationMessage[] = [];
  let answer: string | null = null;
  const flush = () => {
    if (answer !== null) out.push({ role: "assistant", content: answer });
    answer = null;
  };
  for (const message of messages) {
    if (isUserMessage(message)) {
      flush();
      out.push({ role: "user", content: textOf(message) });
    } else if (AIMessage.isInstance(message) && message.name === NODES.alfred) {
      const text = spokenText(message);
      if (text) answer = text;
    }
  }
  flush();
  return out;
}

function summaryJson(thread: Thread) {
  const first = thread.messages.find((m) => m.role === "user");
  return {
    id: thread.id,
    title: first ? truncate(first.content.replace(/\s+/g, " ").trim(), TITLE_CHARS) : "(no question yet)",
    turns: thread.messages.filter((m) => m.role === "user").length,
    updated_at: thread.updatedAt,
  };
}
