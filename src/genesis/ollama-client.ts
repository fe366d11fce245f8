/**
 * The few Ollama API calls genesis needs: version (is it there?), show (does a model exist?),
 * blobs (upload a LoRA adapter file) and create (`{model, from, system, adapters}`; adapters map a
 * file name to the `sha256:<hex>` digest of a blob uploaded before). Answers may stream NDJSON;
 * an `error` on any line fails the call.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { ModelUnavailableError } from "../errors.js";

export interface CreateModelRequest {
  model: string;
  from: string;
  system: string;
  /** File name → `sha256:<hex>` of an uploaded blob. */
  adapters?: Record<string, string>;
}

export class OllamaClient {
  constructor(readonly host: string) {}

  /** Ollama's version; throws ModelUnavailableError when nothing answers at the host. */
  async version(): Promise<string> {
    const response = await this.request("GET", "/api/version");
    const body = (await response.json()) as { version?: unknown };
    return String(body.version ?? "unknown");
  }

  /** The model's details, or null when Ollama does not have it. */
  async show(model: string): Promise<Record<string, unknown> | null> {
    const response = await this.request("POST", "/api/show", { model }, [404]);
    if (response.status === 404) return null;
    return (await response.json()) as Record<string, unknown>;
  }

  async blobExists(digest: string): Promise<boolean> {
    const response = await this.request("HEAD", `/api/blobs/${digest}`, undefined, [404]);
    return response.status !== 404;
  }

  async pushBlob(digest: string, file: string): Promise<void> {
    const size = (await stat(file)).size;
    await this.request("POST", `/api/blobs/${digest}`, Readable.toWeb(createReadStream(file)) as ReadableStream, [], {
      "content-length": String(size),
      "content-type": "application/octet-stream",
    });
  }

  async create(request: CreateModelRequest): Promise<void> {
    const response = await this.request("POST", "/api/create", { ...request, stream: false });
    const text = await response.text();
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    for (const line of lines) {
      const status = JSON.parse(line) as { error?: unknown; status?: unknown };
      if (status.error) throw new Error(`Ollama refused to create ${request.model}: ${String(status.error)}`);
    }
    const last = lines.length > 0 ? (JSON.parse(lines.at(-1)!) as { status?: unknown }) : {};
    if (last.status !== "success")
      throw new Error(`Ollama did not confirm creating ${request.model} (last status: ${String(last.status ?? "none")})`);
  }

  private async request(
    method: string,
    route: string,
    body?: unknown,
    allowed: number[] = [],
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const init: RequestInit & { duplex?: "half" } = { method, headers: { ...headers } };
    if (body instanceof ReadableStream) {
      init.body = body;
      init.duplex = "half";
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    let response: Response;
    try {
      response = await fetch(`${this.host}${route}`, init);
    } catch (error) {
      throw new ModelUnavailableError(
        `Ollama is not reachable at ${this.host}`,
        "start it with `ollama serve`, or point OLLAMA_HOST at a running Ollama",
        error,
      );
    }
    if (!response.ok && !allowed.includes(response.status)) {
      const text = await response.text();
      throw new Error(`Ollama answered ${method} ${route} with HTTP ${response.status}: ${text.slice(0, 300)}`);
    }
    return response;
  }
}
