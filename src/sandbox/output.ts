/**
 * What comes out of a sandbox runner: stdout and stderr captured with a cap (the head, for people
 * to read) plus a rolling tail of stdout (for the report line, so a flood before it cannot push it
 * out), the protocol's marker lines, and the parsing of the runner's token-tagged report. Which
 * bytes belong to which job of a container: container-output.ts.
 */
import { Writable } from "node:stream";
import { z } from "zod";
import { READY_MARKER, REPORT_PREFIX, STDERR_END_PREFIX } from "../contract.js";
import type { RunnerReport } from "./types.js";

/** Bytes of stdout / stderr kept for the caller; beyond it the output is marked truncated. */
export const OUTPUT_CAP_BYTES = 64 * 1024;
/**
 * Bytes of the end of stdout kept for the report line. The runner refuses reports over 512 Ki
 * characters; in UTF-8 that is at most 1.5 MiB, plus the prefix.
 */
export const REPORT_TAIL_BYTES = 2 * 1024 * 1024;
/** The runner's markers are defined with the rest of the contract, in src/contract.ts. */
export { READY_MARKER, REPORT_PREFIX, STDERR_END_PREFIX };

/** Keeps the first `capBytes` bytes and, optionally, the last `tailBytes` bytes of a stream. */
export class CappedCapture extends Writable {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private readonly tail: Buffer[] = [];
  private tailBytes = 0;
  /** Every byte written, kept or not. */
  totalBytes = 0;
  /** Called with every chunk as it arrives (the report scanner listens here). */
  onChunk: ((chunk: Buffer) => void) | undefined;

  constructor(
    private readonly capBytes: number = OUTPUT_CAP_BYTES,
    private readonly tailCapBytes: number = 0,
  ) {
    super();
  }

  get truncated(): boolean {
    return this.totalBytes > this.headBytes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.add(chunk);
    done();
  }

  add(chunk: Buffer): void {
    this.onChunk?.(chunk);
    this.totalBytes += chunk.length;
    if (this.headBytes < this.capBytes) {
      const part = chunk.subarray(0, this.capBytes - this.headBytes);
      this.head.push(part);
      this.headBytes += part.length;
    }
    if (this.tailCapBytes > 0) {
      this.tail.push(chunk);
      this.tailBytes += chunk.length;
      while (this.tailBytes - this.tail[0]!.length >= this.tailCapBytes) this.tailBytes -= this.tail.shift()!.length;
    }
  }

  /**
   * Takes back the last `bytes` bytes written, as if they had never come (the supervisor's end line
   * after a job's output, which is not the job's).
   */
  dropLast(bytes: number): void {
    const keep = Math.max(0, this.totalBytes - bytes);
    this.totalBytes = keep;
    if (this.headBytes > keep) {
      this.head.splice(0, this.head.length, Buffer.concat(this.head).subarray(0, keep));
      this.headBytes = keep;
    }
    let drop = Math.min(bytes, this.tailBytes);
    while (drop > 0) {
      const last = this.tail.pop()!;
      if (last.length > drop) this.tail.push(last.subarray(0, last.length - drop));
      const taken = Math.min(last.length, drop);
      this.tailBytes -= taken;
      drop -= taken;
    }
  }

  /** The kept head as text (a multi-byte character cut at the cap shows as U+FFFD). */
  text(): string {
    return Buffer.concat(this.head).toString("utf8");
  }

  /** The last bytes written (up to the tail cap), as text. */
  tailText(): string {
    const all = Buffer.concat(this.tail);
    return all.subarray(Math.max(0, all.length - this.tailCapBytes)).toString("utf8");
  }
}

/** Every marker line of the protocol starts with this (the runner's and the supervisor's). */
const MARKER_START = Buffer.from("TOOLFORGE_");

/**
 * Splits a stream into lines as it arrives, one chunk at a time, keeping only the lines that may be
 * protocol markers (they start with "TOOLFORGE_"; a line longer than the report limit is skipped),
 * and says where in its chunk each such line ended, so that a reader can pass on the bytes after it.
 */
export class LineSplitter {
  private head: Buffer[] = [];
  private headBytes = 0;
  /** False once the current line is known not to be a marker (or is too long to be one). */
  private candidate = true;

  /**
   * Calls `onLine(line)` for every complete marker line in `chunk`; when it returns true, stops and
   * returns the offset just after that line's newline (the bytes after it are the caller's). -1 when
   * the whole chunk was read.
   */
  push(chunk: Buffer, onLine: (line: string) => boolean): number {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      this.take(chunk.subarray(start, newline < 0 ? chunk.length : newline));
      if (newline < 0) return -1;
      start = newline + 1;
      const line = this.endLine();
      if (line !== null && onLine(line)) return start;
    }
  }

  private take(bytes: Buffer): void {
    if (!this.candidate || bytes.length === 0) return;
    if (this.headBytes < MARKER_START.length) {
      const compared = bytes.subarray(0, MARKER_START.length - this.headBytes);
      if (!compared.equals(MARKER_START.subarray(this.headBytes, this.headBytes + compared.length))) return this.drop();
    }
    if (this.headBytes + bytes.length > REPORT_TAIL_BYTES) return this.drop();
    this.head.push(bytes);
    this.headBytes += bytes.length;
  }

  private drop(): void {
    this.candidate = false;
    this.head = [];
    this.headBytes = 0;
  }

  private endLine(): string | null {
    const line = this.candidate && this.headBytes >= MARKER_START.length ? Buffer.concat(this.head).toString("utf8") : null;
    this.head = [];
    this.headBytes = 0;
    this.candidate = true;
    return line;
  }
}

/**
 * Watches a stream as it arrives for a complete line that starts with `prefix` (a marker line):
 * the runner's report line on stdout (the runner exits right after writing it, with no module code
 * running in between, so that line ends the job) and its end-of-stderr line. Lines with another
 * token are ignored.
 */
export class LineScanner {
  private readonly lines = new LineSplitter();
  private done = false;
  private resolveLine!: (line: string) => void;
  /** Resolves with the line (without its newline) once it has fully arrived. */
  readonly line: Promise<string>;

  constructor(private readonly prefix: string) {
    if (!prefix.startsWith(MARKER_START.toString())) throw new RangeError(`a scanned line must start with ${MARKER_START.toString()}`);
    this.line = new Promise((resolve) => (this.resolveLine = resolve));
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    this.lines.push(chunk, (line) => {
      if (!line.startsWith(this.prefix)) return false;
      this.done = true;
      this.resolveLine(line);
      return true;
    });
  }
}

/** The scanner for this run's report line on stdout. */
export function reportLineScanner(token: string): LineScanner {
  return new LineScanner(`${REPORT_PREFIX}${token} `);
}

/** The line the runner writes to stderr just before its report: stderr is complete once it arrived. */
export function stderrEndLine(token: string): string {
  return `${STDERR_END_PREFIX}${token}`;
}

/** stderr for the caller: without the runner's end-of-stderr line (and the newline put before it). */
export function stderrWithoutEndLine(stderr: string, token: string): string {
  const line = stderrEndLine(token);
  const at = stderr.lastIndexOf(line);
  if (at < 0) return stderr;
  const before = stderr.slice(0, at).replace(/\n$/, "");
  return before + stderr.slice(at + line.length + 1);
}

const runnerErrorSchema = z.object({ name: z.string(), message: z.string(), stack: z.string().optional() });
const reportSchema = z.looseObject({
  ok: z.boolean(),
  phase: z.enum(["import", "exports", "test", "dryrun", "call", "done"]),
  exports: z
    .object({
      name: z.unknown(),
      description: z.unknown(),
      schema: z.unknown(),
      hosts: z.unknown().optional(),
      uses: z.unknown().optional(),
      hasDefault: z.boolean(),
      defaultArity: z.number().nullable(),
      hasTest: z.boolean(),
    })
    .optional(),
  problems: z.array(z.string()).optional(),
  testCompleted: z.boolean().optional(),
  result: z.unknown().optional(),
  self: z.unknown().optional(),
  error: runnerErrorSchema.optional(),
  timings: z.record(z.string(), z.number()).optional(),
});

export type ParsedReport =
  { report: RunnerReport; problem?: undefined; reportLine: string } | { report: null; problem: string; reportLine?: undefined };

/**
 * Reads the runner's report from the end of stdout. It counts only when the LAST non-empty line is
 * `TOOLFORGE_REPORT <token> <json>` with this run's token and a report of the expected shape.
 */
export function parseReport(stdoutTail: string, token: string): ParsedReport {
  const trimmed = stdoutTail.replace(/\n+$/, "");
  const lastLine = trimmed.slice(trimmed.lastIndexOf("\n") + 1);
  if (!lastLine.startsWith(REPORT_PREFIX)) {
    const hasReportEarlier = trimmed.includes(`${REPORT_PREFIX}${token} `);
    return {
      report: null,
      problem: hasReportEarlier
        ? "output followed the runner's report, so it is not the last line: refused (the module wrote after the report)"
        : "no report line at the end of stdout: the process ended before the runner could report " +
          "(process.exit() in the module, a crash, a kill, or the runner's own failure: see stderr)",
    };
  }
  const rest = lastLine.slice(REPORT_PREFIX.length);
  const space = rest.indexOf(" ");
  const lineToken = space < 0 ? rest : rest.slice(0, space);
  if (lineToken !== token) {
    return {
      report: null,
      problem: "the last line is a report with the wrong token: it was not written by this run's runner (a forged report)",
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(rest.slice(space + 1));
  } catch (error) {
    return { report: null, problem: `the report's JSON does not parse: ${(error as Error).message}` };
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    return { report: null, problem: `the report does not have the runner's shape: ${z.prettifyError(parsed.error).replace(/\n/g, "; ")}` };
  }
  return { report: parsed.data, reportLine: lastLine };
}

/** The captured stdout for the caller: without the verified report line (it is in `report`). */
export function stdoutWithoutReport(stdout: string, reportLine: string | undefined): string {
  if (!reportLine) return stdout;
  const at = stdout.lastIndexOf(reportLine);
  if (at < 0) return stdout;
  return stdout.slice(0, at).replace(/\n$/, "");
}
