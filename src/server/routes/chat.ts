/** POST /chat `{message, thread_id?}` → `{reply, thread_id, tools_used, tools_created}`. */
import { Router, type Response } from "express";
import { z } from "zod";
import type { ChatService } from "../chat/types.js";
import type { RequestLogLocals } from "../logger.js";
import { resolveThreadId, threadIdSchema } from "../threads.js";
import { parseBody } from "../validate.js";
import { turnUsageJson } from "./usage.js";

const chatBody = z.object({
  message: z.string().trim().min(1, "must not be empty"),
  thread_id: threadIdSchema.optional(),
});

export function chatRouter(chat: ChatService): Router {
  const router = Router();
  router.post("/chat", async (req, res) => {
    const body = parseBody(chatBody, req.body);
    const { threadId } = resolveThreadId([{ source: "thread_id", value: body.thread_id }]);
    (res.locals as RequestLogLocals).threadId = threadId;
    const controller = abortOnClientGone(res);
    const result = await chat.run({ threadId, messages: [{ role: "user", content: body.message }], signal: controller.signal });
    res.json({
      reply: result.reply,
      thread_id: result.threadId,
      tools_used: result.toolsUsed,
      tools_created: result.toolsCreated,
      usage: turnUsageJson(result.usage),
    });
  });
  return router;
}

/** An AbortController that fires when the client disconnects before the response is complete. */
export function abortOnClientGone(res: Response): AbortController {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  return controller;
}
