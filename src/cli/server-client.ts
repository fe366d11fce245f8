/**
 * The CLI's client for a running ToolForge server: JSON requests with the API key, the server's
 * `{error}` bodies turned into ServerError, a refused connection into an error that says how to
 * start a server, and server-sent events read as an async iterable.
 */
import type { Command } from "commander";
import type { Config } from "../config.js";
import { ToolForgeError, errorMessage } from "../errors.js";
import { ServerError } from "./failure.js";
import { readSse, type SseMessage } from "../util/sse-reader.js";

export interface ServerTarget {
  url: string;
  apiKey: string | undefined;
}

/** The URL of the server this configuration starts (a wildcard host is reached on loopback). */
export function defaultServerUrl(config: Config): string {
  const host = ["0.0.0.0", "::", "[::]"].includes(config.server.host) ? "127.0.0.1" : config.server.host;
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${shown}:${config.server.port}`;
}

/** Adds `--url` and `--api-key` to a command that talks to a server. */
export function withServerOptions(command: Command): Command {
  return command
    .option("--url <url>", "the ToolForge server (default: http://HOST:PORT from the settings)")
    .option("--api-key <key>", "the server's API key (default: TOOLFORGE_API_KEY)");
}

export function serverTarget(options: { url?: string; apiKey?: string }, config: Config): ServerTarget {
  return { url: (options.url ?? defaultServerUrl(config)).replace(/\/+$/, ""), apiKey: options.apiKey ?? config.server.apiKey };
}

export interface ServerClientOptions {
  /** Whether the command can run without a server (`--local`), to say so when none answers (default true). */
  offersLocal?: boolean;
}

export class ServerClient {
  constructor(
    private readonly target: ServerTarget,
    private readonly options: ServerClientOptions = {},
  ) {}

  get url(): string {
    return this.target.url;
  }

  async json<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.request(method, path, body, headers);
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /** POSTs `body` and yields each server-sent event until the stream ends. */
  async *events(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): AsyncGenerator<SseMessage> {
    const response = await this.request(method, path, body, { accept: "text/event-stream", ...headers }, signal);
    if (!response.body) return;
    yield* readSse(response.body);
  }

  /** Sends the request; resolves with an ok response, throws ServerError or an unreachable error. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const all: Record<string, string> = { ...headers };
    if (this.target.apiKey) all.authorization = `Bearer ${this.target.apiKey}`;
    if (body !== undefined) all["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.target.url}${path}`, {
        method,
        headers: all,
        body: body === undefined ? null : JSON.stringify(body),
        signal: signal ?? null,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const local = this.options.offersLocal === false ? "" : ", or run in-process with --local";
      throw new ToolForgeError("server_unreachable", `no ToolForge server answers at ${this.target.url}: ${reason(error)}`, {
        hint: `start one with \`toolforge serve\` (or pass --url)${local}`,
        cause: error,
      });
    }
    if (!response.ok) throw await serverError(response);
    return response;
  }
}

async function serverError(response: Response): Promise<ServerError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string; hint?: string } };
    if (body.error?.message) return serverErrorFrom(response.status, body.error);
  } catch {
    // not JSON: fall through to the raw text
  }
  return new ServerError(response.status, "http_error", text.slice(0, 500) || response.statusText);
}

/**
 * A ServerError from a server's `{error}` body. The server's `message` is self-contained: it ends
 * with ` — <hint>`; that ending is cut here, because the hint is printed on its own line.
 */
export function serverErrorFrom(status: number, error: { message?: string; code?: string; hint?: string }): ServerError {
  const hint = error.hint;
  let message = error.message ?? "the server reported an error";
  if (hint && message.endsWith(` — ${hint}`)) message = message.slice(0, -` — ${hint}`.length);
  return new ServerError(status, error.code ?? "error", message, hint);
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return errorMessage(error);
}
