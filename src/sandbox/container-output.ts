/**
 * What comes out of one sandbox container, job after job. The supervisor (sandbox/supervisor.pl)
 * writes READY once a fresh runner waits, relays that runner's stdout and stderr while its job runs,
 * and ends each job with `\nTOOLFORGE_END <nonce> <status>\n` on both streams once everything of
 * the job is gone. This routes every byte to the job it belongs to, or drops it:
 *
 *   stdout:  READY │ job: … REPORT <token> │ dropped … END <nonce> │ READY │ next job …
 *   stderr:        │ job: … STDERR_END <token> │ dropped … END <nonce> │ next job …
 *
 * Only the runner (before any module code runs) knows a job's token and only the supervisor knows
 * its nonce, so nothing a job leaves behind can end its output early or write into the next job's.
 * A job that ends without its report (a crash, process.exit) ends at the END line, whose status is
 * the runner's exit code.
 */
import { Writable } from "node:stream";
import { endLinePrefix } from "./deadline.js";
import { CappedCapture, LineSplitter, OUTPUT_CAP_BYTES, READY_MARKER, REPORT_PREFIX, REPORT_TAIL_BYTES, stderrEndLine } from "./output.js";

const READY_LINE = READY_MARKER.replace(/\n$/, "");
/** What is kept of the output between jobs (a runner that fails to start says why on stderr). */
const BETWEEN_JOBS_CAP_BYTES = 4 * 1024;

type StdoutPhase = "waiting-ready" | "idle" | "job" | "after-report";
type StderrPhase = "idle" | "job" | "after-stderr-end";

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** One job's output, as the runner wrote it. */
export class JobOutput {
  readonly stdout = new CappedCapture(OUTPUT_CAP_BYTES, REPORT_TAIL_BYTES);
  readonly stderr = new CappedCapture();
  private readonly reportLine = deferred<string>();
  private readonly endStatus = deferred<number>();
  private readonly stderrEnd = deferred<void>();
  readonly reportPrefix: string;
  readonly endPrefix: string;
  readonly stderrEndLine: string;

  constructor(
    readonly token: string,
    readonly nonce: string,
  ) {
    this.reportPrefix = `${REPORT_PREFIX}${token} `;
    this.endPrefix = endLinePrefix(nonce);
    this.stderrEndLine = stderrEndLine(token);
  }

  /** The runner's report line (with this job's token), once it has fully arrived. */
  get report(): Promise<string> {
    return this.reportLine.promise;
  }

  /** The supervisor's end of the job on stdout: the runner's exit code (128 + signal when a signal ended it). */
  get ended(): Promise<number> {
    return this.endStatus.promise;
  }

  /** All of the job's stderr has arrived (the runner's end-of-stderr line, or the supervisor's end line). */
  get stderrComplete(): Promise<void> {
    return this.stderrEnd.promise;
  }

  /** @internal the router's side */
  reported(line: string): void {
    this.reportLine.resolve(line);
  }

  /** @internal */
  stdoutEnded(line: string, captured: boolean): void {
    if (captured) this.stdout.dropLast(Buffer.byteLength(`\n${line}\n`));
    this.endStatus.resolve(statusOf(line));
  }

  /** @internal */
  stderrEnded(line: string | null): void {
    if (line !== null) this.stderr.dropLast(Buffer.byteLength(`\n${line}\n`));
    this.stderrEnd.resolve();
  }
}

function statusOf(endLine: string): number {
  const status = Number(endLine.slice(endLine.lastIndexOf(" ") + 1));
  return Number.isInteger(status) ? status : -1;
}

/** Routes a container's stdout and stderr (demultiplexed) to its jobs, one after another. */
export class ContainerOutput {
  readonly stdoutSink: Writable;
  readonly stderrSink: Writable;
  /** stderr written outside any job (the supervisor's own complaints), its first few KiB. */
  readonly betweenJobs = new CappedCapture(BETWEEN_JOBS_CAP_BYTES);
  private stdoutPhase: StdoutPhase = "waiting-ready";
  private stderrPhase: StderrPhase = "idle";
  private readonly stdoutLines = new LineSplitter();
  private readonly stderrLines = new LineSplitter();
  private stdoutJob: JobOutput | null = null;
  private stderrJob: JobOutput | null = null;
  private ready = deferred<void>();

  constructor() {
    this.stdoutSink = sink((chunk) => this.onStdout(chunk));
    this.stderrSink = sink((chunk) => this.onStderr(chunk));
  }

  /** True when a runner waits and the last job's output has fully ended: a job may be handed over. */
  get isReady(): boolean {
    return this.stdoutPhase === "idle" && this.stderrPhase === "idle";
  }

  /** Resolves once a job may be handed over: the supervisor's READY, after the last job's END on both streams. */
  whenReady(): Promise<void> {
    return this.ready.promise;
  }

  /** Starts routing to a new job; the host writes the job right after. */
  beginJob(token: string, nonce: string): JobOutput {
    if (!this.isReady) throw new Error("a job was handed over before the container was ready");
    const job = new JobOutput(token, nonce);
    this.stdoutJob = job;
    this.stderrJob = job;
    this.stdoutPhase = "job";
    this.stderrPhase = "job";
    this.ready = deferred<void>();
    return job;
  }

  private onStdout(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0) {
      const job = this.stdoutJob;
      if (this.stdoutPhase === "job" && job) {
        let found = "";
        const at = this.stdoutLines.push(rest, (line) => {
          const ours = line.startsWith(job.reportPrefix) || line.startsWith(job.endPrefix);
          if (ours) found = line;
          return ours;
        });
        job.stdout.add(at < 0 ? rest : rest.subarray(0, at));
        if (at < 0) return;
        if (found.startsWith(job.reportPrefix)) {
          job.reported(found);
          this.stdoutPhase = "after-report";
        } else {
          job.stdoutEnded(found, true);
          this.stdoutPhase = "waiting-ready";
        }
        rest = rest.subarray(at);
      } else if (this.stdoutPhase === "after-report" && job) {
        let endLine = "";
        const at = this.stdoutLines.push(rest, (line) => line.startsWith(job.endPrefix) && ((endLine = line), true));
        if (at < 0) return;
        job.stdoutEnded(endLine, false);
        this.stdoutPhase = "waiting-ready";
        rest = rest.subarray(at);
      } else if (this.stdoutPhase === "waiting-ready") {
        const at = this.stdoutLines.push(rest, (line) => line === READY_LINE);
        if (at < 0) return;
        this.stdoutPhase = "idle";
        this.stdoutJob = null;
        this.wakeIfReady();
        rest = rest.subarray(at);
      } else {
        // Nothing is expected while a runner waits; read on only to keep the line boundaries.
        this.stdoutLines.push(rest, () => false);
        return;
      }
    }
  }

  private onStderr(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0) {
      const job = this.stderrJob;
      if (this.stderrPhase === "job" && job) {
        let endLine: string | null = null;
        let runnerEnd = false;
        const at = this.stderrLines.push(rest, (line) => {
          if (line === job.stderrEndLine) return (runnerEnd = true);
          if (line.startsWith(job.endPrefix)) {
            endLine = line;
            return true;
          }
          return false;
        });
        job.stderr.add(at < 0 ? rest : rest.subarray(0, at));
        if (at < 0) return;
        if (runnerEnd) {
          job.stderrEnded(null);
          this.stderrPhase = "after-stderr-end";
        } else {
          job.stderrEnded(endLine);
          this.endStderr();
        }
        rest = rest.subarray(at);
      } else if (this.stderrPhase === "after-stderr-end" && job) {
        const at = this.stderrLines.push(rest, (line) => line.startsWith(job.endPrefix));
        if (at < 0) return;
        this.endStderr();
        rest = rest.subarray(at);
      } else {
        this.stderrLines.push(rest, () => false);
        this.betweenJobs.add(rest);
        return;
      }
    }
  }

  private endStderr(): void {
    this.stderrPhase = "idle";
    this.stderrJob = null;
    this.wakeIfReady();
  }

  private wakeIfReady(): void {
    if (this.isReady) this.ready.resolve();
  }
}

function sink(onChunk: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      onChunk(chunk);
      done();
    },
  });
}
