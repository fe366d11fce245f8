/**
 * What comes out of a sandbox container: stdout and stderr captured with a cap (the head, for
 * people to read) plus a rolling tail of stdout (for the report line, so a flood before it cannot
 * push it out), the runner's READY marker, and the parsing of its token-tagged report.
 */
import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
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

/**
 * Sits in front of stdout's capture: swallows the runner's READY marker (the first line) and
 * resolves `ready` when it has passed; everything after goes to the capture.
 */
export class ReadyGate extends Writable {
  private pending: Buffer = Buffer.alloc(0);
  private open = false;
  private resolveReady!: () => void;
  readonly ready: Promise<void>;

  constructor(private readonly next: CappedCapture) {
    super();
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.open) {
      this.next.add(chunk);
      return done();
    }
    this.pending = Buffer.concat([this.pending, chunk]);
    const marker = Buffer.from(READY_MARKER);
    if (this.pending.length >= marker.length || !marker.subarray(0, this.pending.length).equals(this.pending)) {
      this.open = true;
      const matched = this.pending.subarray(0, marker.length).equals(marker);
      const rest = matched ? this.pending.subarray(marker.length) : this.pending;
      if (matched) this.resolveReady();
      if (rest.length > 0) this.next.add(rest);
      this.pending = Buffer.alloc(0);
    }
    done();
  }
}

/**
 * Watches a stream as it arrives for a complete line that starts with `prefix`. Used for the
 * runner's report line on stdout (the runner exits right after writing it, with no module code
 * running in between, so that line ends the job without waiting for the container's teardown,
 * 250+ ms under gVisor) and its end-of-stderr line. Lines with another token are ignored; a line
 * longer than the report limit is skipped.
 */
export class LineScanner {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private skippingLongLine = false;
  private done = false;
  private resolveLine!: (line: string) => void;
  /** Resolves with the line (without its newline) once it has fully arrived. */
  readonly line: Promise<string>;

  constructor(private readonly prefix: string) {
    this.line = new Promise((resolve) => (this.resolveLine = resolve));
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    const text = this.partial + this.decoder.write(chunk);
    let start = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
      const line = text.slice(start, newline);
      start = newline + 1;
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        continue;
      }
      if (line.startsWith(this.prefix)) {
        this.done = true;
        this.resolveLine(line);
        return;
      }
    }
    this.partial = text.slice(start);
    if (this.partial.length > REPORT_TAIL_BYTES) {
      this.partial = "";
      this.skippingLongLine = true;
    }
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
