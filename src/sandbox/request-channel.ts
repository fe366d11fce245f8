/**
 * The host's end of a job's request channel. While a tool call runs, each `ctx.fetch` of the module
 * arrives on the runner's stdout as one line, `TOOLFORGE_REQUEST <token> <json>`; this takes those
 * lines out of the job's output, hands each request to the job's `onRequest` and writes the answer
 * back to the runner's stdin as one JSON line. The runner is hostile (the module runs in it), so
 * every limit the runner keeps is kept here again: how many requests, how many at once, how long a
 * line. A request the host refuses is answered `{id, ok: false, refused}`, never dropped.
 */
import { StringDecoder } from "node:string_decoder";
import { MAX_OPEN_REQUESTS, MAX_REQUEST_LINE_CHARS, MAX_REQUESTS_PER_CALL, REQUEST_PREFIX } from "../contract.js";
import { errorMessage } from "../errors.js";
import type { SandboxJob } from "./types.js";

export type RequestHandler = NonNullable<SandboxJob["onRequest"]>;
type OutboundLike = Parameters<RequestHandler>[0];

export interface RequestChannelOptions {
  token: string;
  /** The job's handler; without one every request is refused (the tool declares no granted host). */
  onRequest: RequestHandler | undefined;
  /** Writes one answer line (with its newline) to the runner's stdin. */
  answer: (line: string) => void;
}

export class RequestChannel {
  private readonly marker: string;
  private readonly decoder = new StringDecoder("utf8");
  /** Text of an unfinished line that may still become a request line. */
  private partial = "";
  private received = 0;
  private open = 0;
  private closed = false;
  /** Every answer still being worked out (so the job's end can wait for them, or not). */
  readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: RequestChannelOptions) {
    this.marker = `${REQUEST_PREFIX}${options.token} `;
  }

  /**
   * Takes a chunk of the runner's stdout; returns what is the job's own output (request lines
   * removed). A line that could still become a request line is held back until it is complete.
   */
  push(chunk: Buffer | string): string {
    let text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    this.partial = "";
    let output = "";
    for (;;) {
      const start = this.requestStart(text);
      if (start < 0) break;
      output += text.slice(0, start);
      const end = text.indexOf("\n", start);
      if (end < 0) {
        if (text.length - start > MAX_REQUEST_LINE_CHARS + this.marker.length) {
          // Never finished within the limit: the rest of the line is output, the request refused.
          this.refuse(null, `a request line is over ${MAX_REQUEST_LINE_CHARS} characters`);
          output += text.slice(start);
          text = "";
        } else {
          this.partial = text.slice(start);
          text = "";
        }
        break;
      }
      this.receive(text.slice(start + this.marker.length, end));
      text = text.slice(end + 1);
    }
    // Hold back a tail that is the beginning of a marker at the start of a line.
    const held = this.heldTail(text);
    this.partial += text.slice(text.length - held.length);
    return output + text.slice(0, text.length - held.length);
  }

  /** The job has ended: later answers are not written (the runner is gone); returns held-back text. */
  close(): string {
    this.closed = true;
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    return rest;
  }

  /** Where a request line starts in `text` (at its start or after a newline), or -1. */
  private requestStart(text: string): number {
    if (text.startsWith(this.marker)) return 0;
    const at = text.indexOf(`\n${this.marker}`);
    return at < 0 ? -1 : at + 1;
  }

  /** The end of `text` that could be the start of a request line still arriving. */
  private heldTail(text: string): string {
    const lineStart = text.lastIndexOf("\n") + 1;
    const tail = text.slice(lineStart);
    return tail.length > 0 && this.marker.startsWith(tail) ? tail : "";
  }

  private receive(json: string): void {
    let request: unknown;
    try {
      request = JSON.parse(json);
    } catch {
      this.refuse(null, "the request line is not JSON");
      return;
    }
    const id = idOf(request);
    const problem = requestProblem(request);
    if (problem) return this.refuse(id, problem);
    this.received += 1;
    if (this.received > MAX_REQUESTS_PER_CALL) return this.refuse(id, `a call may make at most ${MAX_REQUESTS_PER_CALL} outside requests`);
    if (this.open >= MAX_OPEN_REQUESTS) return this.refuse(id, `at most ${MAX_OPEN_REQUESTS} outside requests may be open at once`);
    const { onRequest } = this.options;
    if (!onRequest) return this.refuse(id, "this tool may not reach any host (it declares none, or they are not granted)");
    this.open += 1;
    const work = (async () => {
      let answer: unknown;
      try {
        answer = await onRequest(request as OutboundLike);
      } catch (error) {
        answer = { ok: false, refused: `the host could not make the request: ${errorMessage(error)}` };
      }
      this.open -= 1;
      this.write({ ...(answer as object), id });
    })();
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private refuse(id: number | null, refused: string): void {
    this.write({ id, ok: false, refused });
  }

  private write(answer: object): void {
    if (this.closed) return;
    try {
      this.options.answer(`${JSON.stringify(answer)}\n`);
    } catch {
      // The runner's stdin is gone: the job is ending, and its end is reported on its own.
    }
  }
}

function idOf(request: unknown): number | null {
  const id = (request as { id?: unknown } | null)?.id;
  return typeof id === "number" && Number.isSafeInteger(id) ? id : null;
}

/** Why a parsed line is not a request the host can read (null when it is one). */
function requestProblem(request: unknown): string | null {
  if (request === null || typeof request !== "object" || Array.isArray(request)) return "the request is not an object";
  const r = request as Record<string, unknown>;
  if (idOf(r) === null) return "the request has no numeric id";
  if (typeof r.url !== "string") return "the request has no url";
  if (r.method !== undefined && typeof r.method !== "string") return "the request's method is not a string";
  if (r.body !== undefined && r.body !== null && typeof r.body !== "string") return "the request's body is not text";
  if (r.headers !== undefined) {
    if (r.headers === null || typeof r.headers !== "object" || Array.isArray(r.headers)) return "the request's headers are not an object";
    if (Object.values(r.headers).some((v) => typeof v !== "string")) return "a request header's value is not text";
  }
  return null;
}
