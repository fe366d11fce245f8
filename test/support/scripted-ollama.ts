/**
 * An Ollama-compatible HTTP server that tests start and script: real sockets, NDJSON streaming on
 * /api/chat (as ChatOllama always streams), tool calls in Ollama's wire format, /api/show with
 * capabilities and `model_info`, /api/tags, /api/version and /api/create. Tests decide each reply
 * with a responder function or a queue; every request is recorded so tests can assert what the
 * model was sent.
 *
 * It imitates the documented behaviour of real Ollama and of the models it serves, as a new user
 * meets it (docs.ollama.com: /api/chat, /api/show, thinking; Ollama's issues):
 * - Thinking: a reply's `thinking` goes to `message.thinking` for a model with the `thinking`
 *   capability, whose `think` defaults to true (Ollama's ChatHandler), else into the content as
 *   `<think>…</think>` (older servers, models whose template Ollama does not parse, a model that
 *   ignores `think: false`). `thinkingAs` forces one or the other.
 * - A stream cut mid-answer (`interrupt`): the socket is destroyed, the response ends without a
 *   `done: true` line, or an `{"error": …}` line arrives mid-stream (a runner that crashed).
 * - `doneReason: "length"`: the answer ran into `num_predict` or the context.
 * - A model without the `tools` capability: 400 "… does not support tools" when tools are sent.
 * - The context window: each model has a maximum (`contextLength`, reported as
 *   `model_info["<arch>.context_length"]`) and a default window (`defaultNumCtx`, 4096 unless
 *   set) used when the request sends no `options.num_ctx`. A prompt whose estimated tokens
 *   (see `estimatePromptTokens`) exceed the window is cut from the START, silently, with HTTP 200
 *   — system prompt and tool definitions first — and `prompt_eval_count` reports the tokens read.
 *   The responder sees the request as the model saw it (cut); `exchanges` has both.
 * - Tool calls written as text (`textToolCall`): what small models do when the template does not
 *   parse them.
 * - What a call costs (see ./ollama-runner.ts): the prompt rendered by a ChatML template, one
 *   prompt-cache slot per loaded model holding the last prompt and what followed it, a reload when
 *   `num_ctx` changes. `prompt_eval_count` counts only the tokens evaluated (a cached prefix is not
 *   counted, as in Ollama), `eval_count` the tokens generated; durations follow `speed`.
 * - Thinking models (capability `thinking`) think unless the request says `think: false`: a reply
 *   scripted without `thinking` gets `thinkingTokens` of it (qwen3's habit). `think` sent to a
 *   model without that capability is refused with 400, as Ollama does.
 * - `options.num_predict` ends the reply at that many tokens, thinking included, with
 *   `done_reason: "length"`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OllamaRunners, renderPrompt, tokensOf, type RunnerCall, type RunnerSpeed } from "./ollama-runner.js";

export interface OllamaChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  [key: string]: unknown;
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaChatMessage[];
  tools?: { type: "function"; function: { name: string; description?: string; parameters?: unknown } }[];
  format?: unknown;
  stream?: boolean;
  options?: Record<string, unknown>;
  think?: unknown;
  [key: string]: unknown;
}

export interface ScriptedReply {
  /** Text of the assistant message (streamed in chunks). */
  content?: string;
  /** Tool calls, sent in Ollama's format in one chunk after the content. */
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /** Reasoning: `message.thinking` for a model with the `thinking` capability (unless the request says `think: false`), else inline `<think>…</think>` before the content (a model Ollama does not parse). */
  thinking?: string;
  /** Where the thinking goes, whatever the request says. */
  thinkingAs?: "field" | "inline";
  /** Characters per streamed chunk (default 16). */
  chunkSize?: number;
  /** Delay between chunks in ms (default 0). */
  chunkDelayMs?: number;
  /** Answer with this HTTP status and `{error}` instead of a chat stream. */
  httpError?: { status: number; error: string };
  /**
   * Cut the stream after this many characters of content (0: before any): "destroy" the socket
   * (default; Ollama crashed or the connection broke), "end" the response cleanly without the
   * final `done: true` line, or send an `{"error": message}` line ("error").
   */
  interrupt?: { afterChars: number; how?: "destroy" | "end" | "error"; message?: string };
  /** The final line's `done_reason` (default "stop"; "length": cut at num_predict or the context). */
  doneReason?: "stop" | "length";
  /** Overrides the reported `prompt_eval_count` (default: the tokens read, see the file comment). */
  promptEvalCount?: number;
}

export type Responder = (request: OllamaChatRequest, index: number) => ScriptedReply | string | Promise<ScriptedReply | string>;

export interface ModelInfo {
  /** Ollama capabilities, e.g. ["completion", "tools"]. Default: both. */
  capabilities?: string[];
  /** The model's maximum context (`model_info["<arch>.context_length"]`); default 32768. */
  contextLength?: number;
  /** `general.architecture` (default "llama"). */
  architecture?: string;
  /** The window Ollama uses when a request sends no `options.num_ctx` (default 4096). */
  defaultNumCtx?: number;
  /** false: /api/show says nothing about capabilities (an older Ollama), though chat still enforces them. */
  reportCapabilities?: boolean;
  /** With the `thinking` capability: the tokens it thinks when a reply is scripted without thinking (default 300). */
  thinkingTokens?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  at: number;
}

/** One /api/chat exchange: what was sent, what the model saw, and how it ended. */
export interface ChatExchange {
  request: OllamaChatRequest;
  /** The request as the model saw it (cut from the start when it did not fit the window). */
  seen: OllamaChatRequest;
  /** The prompt's tokens by this server's estimate, before any cut. */
  estimatedTokens: number;
  /** The context window that applied (options.num_ctx, else the model's default; at most its maximum). */
  numCtx: number;
  /** The prompt did not fit and its start was dropped. */
  truncated: boolean;
  /** `prompt_eval_count` as reported (null: the stream never got that far). */
  promptEvalCount: number | null;
  /** How the reply ended ("cancelled": the client closed the connection before the reply was complete). */
  ending: "done" | "length" | "interrupted" | "http_error" | "cancelled";
  /** What the imitated runner accounted for the call (null until the reply was generated). */
  cost: RunnerCall | null;
}

export interface ScriptedOllamaOptions {
  /** Models this server "has" (name → info). Default: every model exists and supports tools. */
  models?: Record<string, ModelInfo>;
  /** Decides each /api/chat reply. Default: take from the queue, else answer "ok". */
  respond?: Responder;
  /** /api/embed: one vector per input text. Default: a bag of its lowercase words hashed into 64 dimensions. */
  embed?: (text: string, model: string) => number[];
  /** The imitated machine's speed, for the durations reported (default: an 8B Q4 model on an RTX 3080). */
  speed?: RunnerSpeed;
}

/** The default embedding: texts sharing words get similar vectors. */
export function hashedWords(text: string): number[] {
  const vector = new Array<number>(64).fill(0);
  for (const word of text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)) {
    let hash = 0;
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    vector[hash % 64]! += 1;
  }
  return vector;
}

const DEFAULT_CAPABILITIES = ["completion", "tools"];
const DEFAULT_CONTEXT_LENGTH = 32_768;
const DEFAULT_NUM_CTX = 4_096;

/**
 * This server's token count of a chat prompt: the prompt as its ChatML template renders it, at 4
 * characters a token (see ./ollama-runner.ts). A stand-in for a tokenizer, consistent with itself:
 * tests compare against it.
 */
export function estimatePromptTokens(request: Pick<OllamaChatRequest, "messages" | "tools">): number {
  return tokensOf(renderPrompt(request));
}

/** Tool calls written as text in the content, the way models do when the template does not parse them. */
export const textToolCall = {
  /** `{"name": …, "arguments": …}` as the whole content (qwen2.5-coder). */
  json: (name: string, args: Record<string, unknown>): string => JSON.stringify({ name, arguments: args }),
  /** `<tool_call>{…}</tool_call>` (qwen's template format). */
  qwen: (name: string, args: Record<string, unknown>): string => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`,
  /** llama 3.1's built-in format: `<|python_tag|>{"name": …, "parameters": …}`. */
  pythonTag: (name: string, args: Record<string, unknown>): string =>
    `<|python_tag|>${JSON.stringify({ name, parameters: args })}<|eom_id|>`,
  /** A ```json block after some prose. */
  fenced: (name: string, args: Record<string, unknown>, prose = "I will call the tool."): string =>
    `${prose}\n\n\`\`\`json\n${JSON.stringify({ name, arguments: args }, null, 2)}\n\`\`\``,
};

export class ScriptedOllama {
  readonly requests: RecordedRequest[] = [];
  readonly exchanges: ChatExchange[] = [];
  private readonly queue: (ScriptedReply | string)[] = [];
  private responder: Responder | undefined;
  private models: Record<string, ModelInfo> | undefined;
  private readonly embedder: (text: string, model: string) => number[];
  private chatCount = 0;
  private server: http.Server | undefined;
  /** The imitated model runners: what each call cost (see ./ollama-runner.ts). */
  readonly runners: OllamaRunners;
  url = "";

  constructor(options: ScriptedOllamaOptions = {}) {
    this.responder = options.respond;
    this.models = options.models;
    this.embedder = options.embed ?? hashedWords;
    this.runners = new OllamaRunners(options.speed);
  }

  static async start(options: ScriptedOllamaOptions = {}): Promise<ScriptedOllama> {
    const ollama = new ScriptedOllama(options);
    await ollama.listen();
    return ollama;
  }

  /** Replies for the next /api/chat requests, in order (used before the responder). */
  enqueue(...replies: (ScriptedReply | string)[]): this {
    this.queue.push(...replies);
    return this;
  }

  respondWith(responder: Responder | undefined): this {
    this.responder = responder;
    return this;
  }

  setModels(models: Record<string, ModelInfo> | undefined): this {
    this.models = models;
    return this;
  }

  /** The /api/chat request bodies received so far. */
  get chatRequests(): OllamaChatRequest[] {
    return this.requests.filter((r) => r.path === "/api/chat").map((r) => r.body as OllamaChatRequest);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again at the same address after `close()` (Ollama started again), with the same script. */
  async restart(): Promise<void> {
    if (this.server) return;
    await this.listen(Number(new URL(this.url).port));
  }

  private async listen(port = 0): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (res.destroyed) return;
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: String(error) }));
      });
    });
    // Ollama (Go's net/http) never closes an idle keep-alive connection; Node's 5 s default would
    // race a client that reuses one, failing a request with "fetch failed" that real Ollama never causes.
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private modelInfo(name: string): ModelInfo | null {
    if (!this.models) return { capabilities: DEFAULT_CAPABILITIES };
    return this.models[name] ?? this.models[`${name}:latest`] ?? null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body: unknown = text ? JSON.parse(text) : null;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    this.requests.push({ method: req.method ?? "GET", path, body, at: Date.now() });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };

    if (path === "/" || path === "/api/version") return json(200, path === "/" ? "Ollama is running" : { version: "0.12.0" });
    if (path === "/api/tags") {
      const names = this.models ? Object.keys(this.models) : [];
      return json(200, { models: names.map((name) => ({ name, model: name, size: 1, digest: "0" })) });
    }
    if (path === "/api/show") {
      const name = String((body as { model?: string; name?: string })?.model ?? (body as { name?: string })?.name ?? "");
      const info = this.modelInfo(name);
      if (!info) return json(404, { error: `model '${name}' not found` });
      const architecture = info.architecture ?? "llama";
      return json(200, {
        modelfile: "",
        parameters: "",
        template: "",
        details: { format: "gguf", family: architecture, families: [architecture] },
        model_info: {
          "general.architecture": architecture,
          [`${architecture}.context_length`]: info.contextLength ?? DEFAULT_CONTEXT_LENGTH,
        },
        ...(info.reportCapabilities === false ? {} : { capabilities: info.capabilities ?? DEFAULT_CAPABILITIES }),
      });
    }
    if (path === "/api/create") {
      const name = String((body as { model?: string })?.model ?? "");
      this.models = { ...(this.models ?? {}), [name]: { capabilities: DEFAULT_CAPABILITIES } };
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(JSON.stringify({ status: "creating model" }) + "\n");
      res.end(JSON.stringify({ status: "success" }) + "\n");
      return;
    }
    if (path === "/api/chat") return this.chat(body as OllamaChatRequest, res, json);
    if (path === "/api/embed") {
      const { model = "", input = [] } = (body ?? {}) as { model?: string; input?: string | string[] };
      if (!this.modelInfo(model)) return json(404, { error: `model "${model}" not found, try pulling it first` });
      const texts = typeof input === "string" ? [input] : input;
      return json(200, { model, embeddings: texts.map((text) => this.embedder(text, model)) });
    }
    return json(404, { error: `unknown path ${path}` });
  }

  /** The window that applies to a request, and the request as the model sees it within that window. */
  private fit(request: OllamaChatRequest, info: ModelInfo): Omit<ChatExchange, "promptEvalCount" | "ending" | "cost"> {
    const maximum = info.contextLength ?? DEFAULT_CONTEXT_LENGTH;
    const asked = Number(request.options?.num_ctx);
    const numCtx = Math.min(Number.isFinite(asked) && asked > 0 ? asked : (info.defaultNumCtx ?? DEFAULT_NUM_CTX), maximum);
    const estimatedTokens = estimatePromptTokens(request);
    if (estimatedTokens <= numCtx) return { request, seen: request, estimatedTokens, numCtx, truncated: false };

    // Cut from the start: the tool definitions and the system prompt go first, then the oldest messages.
    const seen: OllamaChatRequest = { ...request, messages: [...request.messages] };
    delete seen.tools;
    while (estimatePromptTokens(seen) > numCtx && seen.messages.length > 1) seen.messages.shift();
    const over = estimatePromptTokens(seen) - numCtx;
    const only = seen.messages[0];
    if (over > 0 && only) seen.messages[0] = { ...only, content: only.content.slice(Math.min(only.content.length, over * 4)) };
    return { request, seen, estimatedTokens, numCtx, truncated: true };
  }

  private async chat(request: OllamaChatRequest, res: http.ServerResponse, json: (status: number, value: unknown) => void): Promise<void> {
    const index = this.chatCount++;
    const info = this.modelInfo(request.model);
    if (!info) return json(404, { error: `model "${request.model}" not found, try pulling it first` });
    const capabilities = info.capabilities ?? DEFAULT_CAPABILITIES;
    if (request.tools?.length && !capabilities.includes("tools")) {
      return json(400, { error: `registry.ollama.ai/library/${request.model} does not support tools` });
    }
    const thinks = capabilities.includes("thinking");
    if (request.think !== undefined && request.think !== false && !thinks) {
      return json(400, { error: `"${request.model}" does not support thinking` });
    }
    const fitted = this.fit(request, info);
    const exchange: ChatExchange = { ...fitted, promptEvalCount: null, ending: "done", cost: null };
    this.exchanges.push(exchange);

    const next = this.queue.length > 0 ? this.queue.shift() : undefined;
    const raw = next ?? (this.responder ? await this.responder(fitted.seen, index) : "ok");
    const reply: ScriptedReply = typeof raw === "string" ? { content: raw } : raw;
    if (reply.httpError) {
      exchange.ending = "http_error";
      return json(reply.httpError.status, { error: reply.httpError.error });
    }
    const begun = this.runners.begin(request.model, fitted.numCtx, renderPrompt(fitted.seen));

    const created = () => new Date().toISOString();
    const line = (value: unknown) => res.write(JSON.stringify(value) + "\n");
    const pause = () => (reply.chunkDelayMs ? new Promise((r) => setTimeout(r, reply.chunkDelayMs)) : Promise.resolve());
    const message = (fields: Record<string, unknown>) => ({
      model: request.model,
      created_at: created(),
      message: { role: "assistant", content: "", ...fields },
      done: false,
    });
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    // A client that gives up (a cancelled turn) closes the connection: the rest is not generated.
    res.on("close", () => {
      if (!res.writableEnded && exchange.ending === "done") exchange.ending = "cancelled";
    });
    const gone = () => exchange.ending === "cancelled";

    // A thinking model thinks unless told not to; a scripted reply may say how.
    const thinking = reply.thinking ?? (thinks && request.think !== false ? defaultThinking(info.thinkingTokens ?? 300) : undefined);
    // Ollama parses thinking out (into message.thinking) for a model with the thinking capability,
    // whose think defaults to true; any other model's thinking stays in the words.
    const parsed = thinks && request.think !== false;
    const thinkingField = thinking !== undefined && (reply.thinkingAs ?? (parsed ? "field" : "inline")) === "field";
    let shownThinking = thinkingField ? thinking : "";
    let content =
      thinking !== undefined && !thinkingField ? `<think>\n${thinking}\n</think>\n\n${reply.content ?? ""}` : (reply.content ?? "");
    let toolCalls = reply.toolCalls;
    let doneReason = reply.doneReason ?? "stop";
    const budget = Number(request.options?.num_predict);
    if (Number.isFinite(budget) && budget > 0) {
      const limit = budget * 4;
      const thinkingChars = thinkingField ? `<think>\n${shownThinking}\n</think>\n\n`.length : 0;
      if (thinkingChars >= limit) {
        shownThinking = shownThinking.slice(0, Math.max(0, limit - 20));
        content = "";
        toolCalls = undefined;
        doneReason = "length";
      } else if (thinkingChars + content.length > limit) {
        content = content.slice(0, limit - thinkingChars);
        toolCalls = undefined;
        doneReason = "length";
      }
    }
    const size = Math.max(1, reply.chunkSize ?? 16);
    if (thinkingField) {
      for (let i = 0; i < shownThinking.length && !gone(); i += size) {
        line(message({ thinking: shownThinking.slice(i, i + size) }));
        await pause();
      }
    }
    const cutAt = reply.interrupt ? Math.max(0, Math.min(reply.interrupt.afterChars, content.length)) : content.length;
    for (let i = 0; i < cutAt && !gone(); i += size) {
      line(message({ content: content.slice(i, Math.min(i + size, cutAt)) }));
      await pause();
    }
    if (gone()) return;
    if (reply.interrupt) {
      exchange.ending = "interrupted";
      const how = reply.interrupt.how ?? "destroy";
      if (how === "error") {
        line({ error: reply.interrupt.message ?? "an error was encountered while running the model: unexpected EOF" });
        res.end();
      } else if (how === "end") {
        res.end();
      } else {
        // Let the chunks written so far reach the client, then break the connection mid-body.
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy();
      }
      return;
    }
    const wireCalls = toolCalls?.map((call) => ({ function: { name: call.name, arguments: call.arguments } }));
    if (wireCalls?.length) line(message({ tool_calls: wireCalls }));
    const cost = this.runners.finish(request.model, fitted.numCtx, begun, {
      thinking: thinkingField ? shownThinking : "",
      content,
      toolCalls: wireCalls,
    });
    exchange.cost = cost;
    // What the runner read: the prompt within the window, less what its cache already held.
    const promptEvalCount = reply.promptEvalCount ?? Math.max(1, Math.min(fitted.estimatedTokens, fitted.numCtx) - begun.cachedTokens);
    exchange.promptEvalCount = promptEvalCount;
    exchange.ending = doneReason === "length" ? "length" : "done";
    line({
      model: request.model,
      created_at: created(),
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: doneReason,
      total_duration: cost.durations.totalNs,
      load_duration: cost.durations.loadNs,
      prompt_eval_count: promptEvalCount,
      prompt_eval_duration: cost.durations.promptEvalNs,
      eval_count: cost.generatedTokens,
      eval_duration: cost.durations.evalNs,
    });
    res.end();
  }
}

/** Filler thinking of about `tokens` tokens, as a model's reasoning runs on before it answers. */
function defaultThinking(tokens: number): string {
  const sentence = "Let me consider what is asked and check each step carefully before answering. ";
  return sentence.repeat(Math.ceil((tokens * 4) / sentence.length)).slice(0, tokens * 4 - 20);
}
