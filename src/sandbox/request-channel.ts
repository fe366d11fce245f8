/**
 * The host's end of a job's request channel. While a tool call runs, each `ctx.fetch` of the module
 * arrives on the runner's stdout as one line, `TOOLFORGE_REQUEST <token> <json>`; this takes those
 * lines from the job's output, hands each request to the job's `onRequest` and writes the answer
 * back to the runner's stdin as one JSON line. The runner is hostile (the module runs in it), so
 * every limit the runner keeps is kept here again: how many requests, how many at once, how long a
 * line. A request the host refuses is answered `{id, ok: false, refused}`, never dropped.
 */
import { MAX_OPEN_REQUESTS, MAX_REQUEST_LINE_CHARS, MAX_REQUESTS_PER_CALL, REQUEST_PREFIX } from "../contract.js";
import { errorMessage } from "../errors.js";
import type { SandboxJob } from "./types.js";

/**
 * An answer line longer than this goes with its body in base64 (a 1 MiB body of escaped text could
 * make a 6 MiB line; base64 keeps it under 1.4 MiB). The supervisor holds at most 16 MiB of the
 * host's input: the open answers fit with room to spare.
 */
const MAX_ANSWER_LINE_CHARS = 2 * 1024 * 1024;

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
  private received = 0;
  private open = 0;
  private closed = false;
  /** Every answer still being worked out. */
  readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: RequestChannelOptions) {
    this.marker = `${REQUEST_PREFIX}${options.token} `;
  }

  /**
   * Takes one complete line of the runner's stdout (without its newline). Returns true when it was
   * one of this job's request lines (answered, or refused), false when it is the job's own output.
   */
  receiveLine(line: string): boolean {
    if (!line.startsWith(this.marker)) return false;
    const json = line.slice(this.marker.length);
    if (json.length > MAX_REQUEST_LINE_CHARS) this.refuse(null, `a request line is over ${MAX_REQUEST_LINE_CHARS} characters`);
    else this.receive(json);
    return true;
  }

  /** The job has ended: later answers are not written (the runner is gone). */
  close(): void {
    this.closed = true;
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
    let line = JSON.stringify(answer);
    const { body, bodyEncoding } = answer as { body?: unknown; bodyEncoding?: unknown };
    if (line.length > MAX_ANSWER_LINE_CHARS && bodyEncoding === "utf8" && typeof body === "string") {
      line = JSON.stringify({ ...answer, body: Buffer.from(body, "utf8").toString("base64"), bodyEncoding: "base64" });
    }
    try {
      this.options.answer(`${line}\n`);
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

/** The job's stdout as people read it: its request lines (and one cut off at the end) taken out. */
export function withoutRequestLines(stdout: string, token: string): string {
  const marker = `${REQUEST_PREFIX}${token} `;
  let text = stdout.includes(marker) ? stdout.replace(new RegExp(`\\n?${marker}[^\\n]*(\\n|$)`, "g"), "") : stdout;
  const lastLine = text.slice(text.lastIndexOf("\n") + 1);
  if (lastLine.length >= REQUEST_PREFIX.length && marker.startsWith(lastLine))
    text = text.slice(0, text.length - lastLine.length).replace(/\n$/, "");
  return text;
}
