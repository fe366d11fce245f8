/**
 * A recording proxy in front of an Ollama server (the stand-in or a real one): every request is
 * passed on unchanged and every /api/chat call is recorded from Ollama's own answer — the tokens it
 * evaluated (`prompt_eval_count`), generated (`eval_count`), its durations (load, prompt
 * evaluation, generation) — plus what can only be seen on the wire: the prompt's size as a ChatML
 * template renders it (an estimate for a real server, exact for the stand-in) and how much of the
 * reply was thinking. Both agents of the benchmark talk to Ollama through it, so they are measured
 * the same way.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { renderPrompt, tokensOf } from "../test/support/ollama-runner.js";
import type { OllamaChatRequest } from "../test/support/scripted-ollama.js";

export interface RecordedCall {
  model: string;
  numCtx: number | null;
  think: unknown;
  numPredict: number | null;
  /** The rendered prompt's tokens (4 characters a token). */
  sentTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  /** Tokens of thinking in the reply (4 characters a token). */
  thinkingTokens: number;
  loadMs: number;
  promptEvalMs: number;
  evalMs: number;
  totalMs: number;
  doneReason: string | null;
}

export class RecordingProxy {
  readonly calls: RecordedCall[] = [];
  private server: http.Server | undefined;
  url = "";

  constructor(private readonly target: string) {}

  static async start(target: string): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(target.replace(/\/+$/, ""));
    await proxy.listen();
    return proxy;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.forward(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `bench proxy: ${String(error)}` }));
      });
    });
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const upstream = await fetch(`${this.target}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      ...(body.length ? { body } : {}),
    });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    const isChat = (req.url ?? "").startsWith("/api/chat") && upstream.ok;
    const request = isChat ? (JSON.parse(body.toString("utf8")) as OllamaChatRequest) : null;
    let thinking = "";
    let content = "";
    let pending = "";
    const decoder = new TextDecoder();
    const reader = upstream.body?.getReader();
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
      if (!request) continue;
      pending += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (!line) continue;
        const event = JSON.parse(line) as Record<string, unknown> & { message?: { thinking?: string; content?: string } };
        thinking += event.message?.thinking ?? "";
        content += event.message?.content ?? "";
        if (event.done === true) this.record(request, event, thinking, content);
      }
    }
    res.end();
  }

  private record(request: OllamaChatRequest, done: Record<string, unknown>, thinking: string, content: string): void {
    const ms = (field: string) => (typeof done[field] === "number" ? done[field] / 1e6 : 0);
    const inline = /^\s*<think>([\s\S]*?)<\/think>/.exec(content)?.[0] ?? "";
    const options = request.options ?? {};
    this.calls.push({
      model: request.model,
      numCtx: typeof options.num_ctx === "number" ? options.num_ctx : null,
      think: request.think,
      numPredict: typeof options.num_predict === "number" ? options.num_predict : null,
      sentTokens: tokensOf(renderPrompt(request)),
      evaluatedTokens: Number(done.prompt_eval_count ?? 0),
      generatedTokens: Number(done.eval_count ?? 0),
      thinkingTokens: thinking ? tokensOf(`<think>\n${thinking}\n</think>\n\n`) : inline ? tokensOf(inline) : 0,
      loadMs: ms("load_duration"),
      promptEvalMs: ms("prompt_eval_duration"),
      evalMs: ms("eval_duration"),
      totalMs: ms("total_duration"),
      doneReason: typeof done.done_reason === "string" ? done.done_reason : null,
    });
  }
}
