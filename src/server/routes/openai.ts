/**
 * The OpenAI-compatible face: GET /v1/models, GET /v1/models/:id and POST /v1/chat/completions,
 * non-streaming and streaming (SSE `chat.completion.chunk` objects ending in `data: [DONE]`).
 *
 * Threads: header `x-thread-id`, else the `user` field, else a fresh thread per request (returned
 * in the `x-thread-id` response header). With a thread, only the last user message is new (the
 * checkpoint holds the conversation); without one, the earlier user/assistant turns of `messages`
 * go in too. System messages are not passed on: the personas bring their own.
 *
 * While the agent works, a stream carries progress (persona notes, tool calls, forge steps) as
 * `delta.reasoning_content` lines — chat clients that show reasoning show them — and as a
 * structured `toolforge` field on the same chunk. `delta.content` carries only ALFRED's answer.
 * A stream opens at the first progress event, so a failure before any (Ollama down) is an
 * ordinary HTTP error; a failure after it is an `{error}` frame, as OpenAI sends.
 * `finish_reason` is "length" when Ollama cut ALFRED's answer at the length limit; the
 * `toolforge.notices` field says what else the user should know about the turn.
 *
 * `usage` sums Ollama's own counts over the turn's model calls (every persona, a plan, the forge):
 * `prompt_tokens` the prompt tokens Ollama evaluated (`prompt_eval_count`: a prefix served from its
 * cache is not counted), `completion_tokens` those it generated (thinking included). A stream sends
 * it in a last chunk with no choices when the client asks (`stream_options.include_usage`), as
 * OpenAI does. `toolforge.usage` breaks it down by persona and the forge, with calls and times.
 */
import { randomUUID } from "node:crypto";
import { Router, type Request, type Response } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { describeProgress, type ChatInputMessage, type ChatProgress, type ChatService, type ChatTurnResult } from "../chat/types.js";
import { HttpError, type ErrorContext } from "../errors.js";
import { resolveFailure } from "../failure.js";
import type { RequestLogLocals } from "../logger.js";
import { openSse, type SseStream } from "../sse.js";
import { resolveThreadId, threadKeyFromUser } from "../threads.js";
import { parseBody } from "../validate.js";
import { abortOnClientGone } from "./chat.js";
import { turnUsageJson, usageJson } from "./usage.js";

const MODEL_ID = "toolforge";
/** A fixed creation time for the one model (the first release of ToolForge). */
const MODEL_CREATED = 1_767_225_600;

const contentPart = z.object({ type: z.string(), text: z.string().optional() }).loose();
const message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
    content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  })
  .loose();

const completionBody = z
  .object({
    model: z.string().min(1, 'must name a model (use "toolforge")'),
    messages: z.array(message).min(1, "must hold at least one message"),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
    user: z.string().optional(),
  })
  .loose();

export interface OpenAiRouterOptions {
  chat: ChatService;
  logger: Logger;
  errorContext: ErrorContext;
  /** Heartbeat comments on an open completion stream (ms). */
  heartbeatMs: number;
}

export function openAiRouter(options: OpenAiRouterOptions): Router {
  const router = Router();

  router.get("/v1/models", (_req, res) => {
    res.json({ object: "list", data: [modelJson()] });
  });

  router.get("/v1/models/:id", (req, res) => {
    if (req.params.id !== MODEL_ID) throw unknownModel(req.params.id);
    res.json(modelJson());
  });

  router.post("/v1/chat/completions", async (req, res) => {
    const body = parseBody(completionBody, req.body);
    if (body.model !== MODEL_ID) throw unknownModel(body.model);
    const { threadId, given } = resolveThreadId([
      { source: "x-thread-id", value: req.get("x-thread-id") },
      { source: "user", value: threadKeyFromUser(body.user) },
    ]);
    const messages = conversation(body.messages, given);
    res.setHeader("x-thread-id", threadId);
    (res.locals as RequestLogLocals).threadId = threadId;
    const controller = abortOnClientGone(res);
    const request = { threadId, messages, signal: controller.signal };
    if (body.stream) await streamCompletion(req, res, options, request, body.stream_options?.include_usage === true);
    else res.json(completionJson(await options.chat.run(request)));
  });

  return router;
}

function modelJson() {
  return { id: MODEL_ID, object: "model", created: MODEL_CREATED, owned_by: "toolforge" };
}

function unknownModel(name: string): HttpError {
  return new HttpError(404, "model_not_found", `the model "${name}" does not exist: this server serves one model, "${MODEL_ID}"`, {
    param: "model",
    hint: `set the model to "${MODEL_ID}" (GET /v1/models lists it)`,
  });
}

type BodyMessage = z.output<typeof message>;

/** The messages for the graph: the last user message, or the whole user/assistant conversation for a fresh thread. */
function conversation(messages: BodyMessage[], threadGiven: boolean): ChatInputMessage[] {
  const last = messages.at(-1);
  if (!last || last.role !== "user") {
    throw new HttpError(
      400,
      "invalid_body",
      `invalid request body: messages: the last message must have role "user" (got "${last?.role}")`,
      {
        param: "messages",
      },
    );
  }
  const lastText = textOf(last);
  if (lastText.trim() === "") {
    throw new HttpError(400, "invalid_body", "invalid request body: messages: the last user message has no text", { param: "messages" });
  }
  if (threadGiven) return [{ role: "user", content: lastText }];
  return messages
    .filter((m): m is BodyMessage & { role: "user" | "assistant" } => m.role === "user" || m.role === "assistant")
    .map((m) => ({ role: m.role, content: textOf(m) }))
    .filter((m) => m.content.trim() !== "");
}

function textOf(m: BodyMessage): string {
  if (typeof m.content === "string") return m.content;
  if (!m.content) return "";
  return m.content
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join("\n");
}

function completionId(): string {
  return `chatcmpl-${randomUUID().replace(/-/g, "")}`;
}

function toolforgeJson(result: ChatTurnResult) {
  return {
    thread_id: result.threadId,
    tools_used: result.toolsUsed,
    tools_created: result.toolsCreated,
    notices: result.notices ?? [],
    usage: turnUsageJson(result.usage),
    consent: result.consent ?? [],
  };
}

function completionJson(result: ChatTurnResult) {
  return {
    id: completionId(),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: MODEL_ID,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: result.reply, refusal: null },
        finish_reason: result.finishReason ?? "stop",
        logprobs: null,
      },
    ],
    usage: usageJson(result.usage),
    toolforge: toolforgeJson(result),
  };
}

async function streamCompletion(
  req: Request,
  res: Response,
  options: OpenAiRouterOptions,
  request: { threadId: string; messages: ChatInputMessage[]; signal: AbortSignal },
  includeUsage: boolean,
): Promise<void> {
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  let stream: SseStream | null = null;
  let answered = false;
  const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}, finish: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: MODEL_ID,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...extra,
  });
  const open = (): SseStream => {
    if (stream) return stream;
    stream = openSse(res, { heartbeatMs: options.heartbeatMs });
    stream.send(chunk({ role: "assistant", content: "" }));
    return stream;
  };
  const onProgress = (progress: ChatProgress) => {
    const out = open();
    if (progress.type === "answer") {
      answered = true;
      out.send(chunk({ content: progress.text }));
    } else {
      out.send(chunk({ reasoning_content: `${describeProgress(progress)}\n` }, { toolforge: { event: progress } }));
    }
  };

  let result: ChatTurnResult;
  try {
    result = await options.chat.run(request, onProgress);
  } catch (error) {
    if (!stream) throw error;
    const open_ = stream as SseStream;
    if (open_.closed) return; // the client went away: its turn was aborted
    const failure = resolveFailure(error, options.errorContext, options.logger, { method: req.method, path: req.path });
    if (failure.errorId) (res.locals as RequestLogLocals).errorId = failure.errorId;
    open_.send(failure.body);
    open_.end();
    return;
  }
  const out = open();
  if (!answered && result.reply) out.send(chunk({ content: result.reply }));
  out.send(chunk({}, { toolforge: toolforgeJson(result) }, result.finishReason ?? "stop"));
  if (includeUsage)
    out.send({ id, object: "chat.completion.chunk", created, model: MODEL_ID, choices: [], usage: usageJson(result.usage) });
  out.sendRaw("[DONE]");
  out.end();
}
