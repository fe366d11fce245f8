/**
 * An Ollama-compatible HTTP server that tests start and script: real sockets, NDJSON streaming on
 * /api/chat (as ChatOllama always streams), tool calls in Ollama's wire format, /api/show with
 * capabilities, /api/tags, /api/version and /api/create. Tests decide each reply with a responder
 * function or a queue; every request is recorded so tests can assert what the model was sent.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

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
  [key: string]: unknown;
}

export interface ScriptedReply {
  /** Text of the assistant message (streamed in chunks). */
  content?: string;
  /** Tool calls, sent in Ollama's format in one chunk after the content. */
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /** Characters per streamed chunk (default 16). */
  chunkSize?: number;
  /** Delay between chunks in ms (default 0). */
  chunkDelayMs?: number;
  /** Answer with this HTTP status and `{error}` instead of a chat stream. */
  httpError?: { status: number; error: string };
}

export type Responder = (request: OllamaChatRequest, index: number) => ScriptedReply | string | Promise<ScriptedReply | string>;

export interface ModelInfo {
  /** Ollama capabilities, e.g. ["completion", "tools"]. Default: both. */
  capabilities?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  at: number;
}

export interface ScriptedOllamaOptions {
  /** Models this server "has" (name → info). Default: every model exists and supports tools. */
  models?: Record<string, ModelInfo>;
  /** Decides each /api/chat reply. Default: take from the queue, else answer "ok". */
  respond?: Responder;
  /** /api/embed: one vector per input text. Default: a bag of its lowercase words hashed into 64 dimensions. */
  embed?: (text: string, model: string) => number[];
}

/** The default embedding: texts sharing words get similar vectors. */
export function hashedWords(text: string): number[] {
  const vector = new Array<number>(64).fill(0);
  for (const word of text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)) {
    let hash = 0;
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    vector[hash % 64]! += 1;
  }
  return vector;
}

export class ScriptedOllama {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: (ScriptedReply | string)[] = [];
  private responder: Responder | undefined;
  private models: Record<string, ModelInfo> | undefined;
  private readonly embedder: (text: string, model: string) => number[];
  private chatCount = 0;
  private server: http.Server | undefined;
  url = "";

  constructor(options: ScriptedOllamaOptions = {}) {
    this.responder = options.respond;
    this.models = options.models;
    this.embedder = options.embed ?? hashedWords;
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

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: String(error) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private modelInfo(name: string): ModelInfo | null {
    if (!this.models) return { capabilities: ["completion", "tools"] };
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
      return json(200, { modelfile: "", parameters: "", template: "", details: {}, capabilities: info.capabilities ?? ["completion", "tools"] });
    }
    if (path === "/api/create") {
      const name = String((body as { model?: string })?.model ?? "");
      this.models = { ...(this.models ?? {}), [name]: { capabilities: ["completion", "tools"] } };
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

  private async chat(
    request: OllamaChatRequest,
    res: http.ServerResponse,
    json: (status: number, value: unknown) => void,
  ): Promise<void> {
    const index = this.chatCount++;
    if (!this.modelInfo(request.model)) return json(404, { error: `model "${request.model}" not found, try pulling it first` });
    if (request.tools?.length && !(this.modelInfo(request.model)?.capabilities ?? []).includes("tools")) {
      return json(400, { error: `registry.ollama.ai/library/${request.model} does not support tools` });
    }
    const next = this.queue.length > 0 ? this.queue.shift() : undefined;
    const raw = next ?? (this.responder ? await this.responder(request, index) : "ok");
    const reply: ScriptedReply = typeof raw === "string" ? { content: raw } : raw;
    if (reply.httpError) return json(reply.httpError.status, { error: reply.httpError.error });

    const created = () => new Date().toISOString();
    const line = (value: unknown) => res.write(JSON.stringify(value) + "\n");
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const content = reply.content ?? "";
    const size = Math.max(1, reply.chunkSize ?? 16);
    for (let i = 0; i < content.length; i += size) {
      line({ model: request.model, created_at: created(), message: { role: "assistant", content: content.slice(i, i + size) }, done: false });
      if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
    }
    if (reply.toolCalls?.length) {
      line({
        model: request.model,
        created_at: created(),
        message: {
          role: "assistant",
          content: "",
          tool_calls: reply.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })),
        },
        done: false,
      });
    }
    line({
      model: request.model,
      created_at: created(),
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: "stop",
      total_duration: 1_000_000,
      prompt_eval_count: request.messages.length,
      eval_count: Math.ceil(content.length / 4),
    });
    res.end();
  }
}
