/**
 * One sandbox container through its whole life: created, attached (stdin/stdout/stderr over one
 * hijacked connection), started, READY, given its ONE job, watched until it exits or the wall-clock
 * limit kills it, read (exit code, OOM flag, capped output, the token-checked report), removed.
 * Cold jobs and the pool both drive containers through this class.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { SandboxUnavailableError, ToolForgeError, errorMessage } from "../errors.js";
import { isGoneOrStopped } from "./docker-errors.js";
import { ABANDONED_EXIT_CODE, DEADLINE_EXIT_CODE, deadlineLine, STARTUP_TIMEOUT_MS, type ContainerDeadlines } from "./deadline.js";
import { OOM_EVENT_GRACE_MS, OomWatch } from "./oom-watch.js";
import {
  CappedCapture,
  parseReport,
  ReadyGate,
  LineScanner,
  REPORT_TAIL_BYTES,
  reportLineScanner,
  stderrEndLine,
  stderrWithoutEndLine,
  stdoutWithoutReport,
  type ParsedReport,
} from "./output.js";
import type { JobResult, SandboxJob } from "./types.js";

/** After the container exits, how long to wait for the last output to arrive. */
const OUTPUT_DRAIN_MS = 2_000;
/**
 * After the report, the longest wait for the runner's end-of-stderr line. It normally follows within
 * milliseconds, but under load a flood on stderr can trail stdout by seconds; only a module that
 * closed fd 2 makes this wait run out (or the output stream ends first, when the container stops).
 */
const STDERR_GRACE_MS = 5_000;
/** After a kill, how long to wait for the exit before forcing removal. */
const KILL_GRACE_MS = 10_000;
/** The exit code of a process ended by SIGKILL (the OOM killer's signal, and the host's). */
const KILLED_EXIT_CODE = 137;

interface ExitState {
  code: number | null;
  error?: unknown;
}

export class SandboxContainer {
  private readonly stdout = new CappedCapture(undefined, REPORT_TAIL_BYTES);
  private readonly stderr = new CappedCapture();
  private readonly gate = new ReadyGate(this.stdout);
  private stream: Duplex | undefined;
  private streamEnded: Promise<void> = Promise.resolve();
  private exitState: Promise<ExitState> | undefined;
  private exitedFlag = false;
  private handedOver = false;
  private destroyed: Promise<void> | undefined;
  private oomWatch: OomWatch | undefined;
  /** By this time (host clock, ms) the container ends itself if no job has come; a little later in truth. */
  readonly idleUntil: number;

  private constructor(
    private readonly docker: Docker,
    readonly container: Docker.Container,
    deadlines: ContainerDeadlines,
  ) {
    this.idleUntil = Date.now() + deadlines.idleMs;
  }

  get id(): string {
    return this.container.id;
  }

  /** True once the container has stopped (for any reason). */
  get exited(): boolean {
    return this.exitedFlag;
  }

  /** Resolves when the container stops; never rejects. */
  get whenExited(): Promise<ExitState> {
    return this.exitState ?? Promise.resolve({ code: null });
  }

  /**
   * Creates, attaches and starts a container running the watchdog with these deadlines (the spec's
   * command must agree: containerSpec builds both from them); on any failure it is removed again.
   */
  static async start(docker: Docker, spec: Docker.ContainerCreateOptions, deadlines: ContainerDeadlines): Promise<SandboxContainer> {
    let container: Docker.Container;
    try {
      container = await docker.createContainer(spec);
    } catch (error) {
      throw dockerFailure("could not create a sandbox container", error);
    }
    const sandboxContainer = new SandboxContainer(docker, container, deadlines);
    try {
      sandboxContainer.oomWatch = await OomWatch.open(docker, container.id);
      await sandboxContainer.attachAndStart();
    } catch (error) {
      await sandboxContainer.destroy();
      throw dockerFailure("could not start a sandbox container", error);
    }
    return sandboxContainer;
  }

  private async attachAndStart(): Promise<void> {
    const stream = (await this.container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    })) as unknown as Duplex;
    this.stream = stream;
    // A write to a container that died meanwhile errors here; the exit state tells the story.
    stream.on("error", () => undefined);
    this.streamEnded = new Promise((resolve) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
    });
    this.docker.modem.demuxStream(stream, this.gate, this.stderr);
    await this.container.start();
    this.exitState = this.container.wait().then(
      (answer: { StatusCode: number }) => ({ code: answer.StatusCode }),
      (error: unknown) => ({ code: null, error }),
    );
    void this.exitState.then(() => (this.exitedFlag = true));
  }

  /** Waits for the runner's READY line; throws when the container stops or stays silent instead. */
  async waitReady(timeoutMs: number = STARTUP_TIMEOUT_MS): Promise<void> {
    const timeout = new AbortController();
    try {
      const outcome = await Promise.race([
        this.gate.ready.then(() => "ready" as const),
        this.whenExited.then(() => "exited" as const),
        delay(timeoutMs, "timeout" as const, { signal: timeout.signal }),
      ]);
      if (outcome === "ready") return;
      if (outcome === "exited") {
        const { code } = await this.whenExited;
        await Promise.race([this.streamEnded, delay(OUTPUT_DRAIN_MS)]);
        throw new SandboxUnavailableError(
          `the sandbox container stopped (exit code ${code}) before its runner was ready; stderr: ${this.stderr.text().trim() || "(empty)"}`,
          "check that the image runs `node /opt/toolforge/runner.mjs` (unset SANDBOX_IMAGE to use the built-in image) and that `docker run --runtime=runsc` works",
        );
      }
      throw new SandboxUnavailableError(
        `the sandbox container was not ready within ${timeoutMs} ms of starting`,
        "the machine may be overloaded; check `docker ps` and `docker info`, or lower SANDBOX_POOL_SIZE",
      );
    } finally {
      timeout.abort();
    }
  }

  /** Gives the container its one job and returns the result; the timeout counts from here. */
  async handOver(job: SandboxJob, timeoutMs: number): Promise<JobResult> {
    if (this.handedOver) throw new ToolForgeError("sandbox_reuse", "a sandbox container runs one job only; this one already had its job");
    if (!this.stream) throw new ToolForgeError("sandbox_not_started", "the sandbox container was never started");
    this.handedOver = true;
    const token = randomBytes(16).toString("hex");
    const line = JSON.stringify({
      token,
      action: job.action,
      module: job.module,
      contract: job.contract ?? "tool",
      input: job.input,
    });
    const scanner = reportLineScanner(token);
    const stderrEnd = new LineScanner(stderrEndLine(token));
    this.stdout.onChunk = (chunk) => scanner.push(chunk);
    this.stderr.onChunk = (chunk) => stderrEnd.push(chunk);
    const startedAt = performance.now();
    // The watchdog reads its deadline first, then passes the job line to the runner.
    this.stream.write(deadlineLine(timeoutMs) + line + "\n");

    const timeout = new AbortController();
    const outcome = await Promise.race([
      scanner.line.then((reportLine) => ({ kind: "report" as const, reportLine })),
      this.whenExited.then((exit) => ({ kind: "exited" as const, exit })),
      delay(timeoutMs, { kind: "timeout" as const }, { signal: timeout.signal }),
    ]);
    timeout.abort();

    if (outcome.kind === "report") {
      // The runner writes its report and exits 0 at once (no module code runs in between): the
      // job is over; the container's teardown is not waited for. stdout and stderr travel apart,
      // so the last of stderr may still be on its way: the runner's end-of-stderr line says when.
      const grace = new AbortController();
      await Promise.race([
        stderrEnd.line,
        this.streamEnded,
        delay(STDERR_GRACE_MS, undefined, { signal: grace.signal }).catch(() => undefined),
      ]);
      grace.abort();
      this.detachScanners();
      const parsed = parseReport(outcome.reportLine, token);
      return this.result({ startedAt, exitCode: 0, timedOut: false, oomKilled: false, parsed, timeoutMs, token });
    }
    this.detachScanners();
    let exit: ExitState;
    if (outcome.kind === "timeout") {
      await this.kill();
      exit = await this.whenExited;
    } else {
      exit = outcome.exit;
    }
    const durationMs = performance.now() - startedAt;
    await Promise.race([this.streamEnded, delay(OUTPUT_DRAIN_MS)]);
    // The container's own deadline (the watchdog) may end a job a moment before the host's does.
    const timedOut = outcome.kind === "timeout" || exit.code === DEADLINE_EXIT_CODE;
    const oomKilled = await this.readOomKilled(outcome.kind === "timeout" ? null : exit.code);
    const killed = timedOut || oomKilled;
    const parsed = parseReport(this.stdout.tailText(), token);
    return this.result({ startedAt, durationMs, exitCode: killed ? null : exit.code, timedOut, oomKilled, parsed, timeoutMs, exit, token });
  }

  private detachScanners(): void {
    this.stdout.onChunk = undefined;
    this.stderr.onChunk = undefined;
  }

  private result(facts: {
    startedAt: number;
    durationMs?: number;
    exitCode: number | null;
    timedOut: boolean;
    oomKilled: boolean;
    parsed: ParsedReport;
    timeoutMs: number;
    exit?: ExitState;
    token: string;
  }): JobResult {
    const { parsed } = facts;
    const durationMs = facts.durationMs ?? performance.now() - facts.startedAt;
    const result: JobResult = {
      exitCode: facts.exitCode,
      timedOut: facts.timedOut,
      oomKilled: facts.oomKilled,
      durationMs: Math.round(durationMs * 100) / 100,
      stdout: stdoutWithoutReport(this.stdout.text(), parsed.reportLine),
      stderr: stderrWithoutEndLine(this.stderr.text(), facts.token),
      stdoutTruncated: this.stdout.truncated,
      stderrTruncated: this.stderr.truncated,
      report: parsed.report,
    };
    if (parsed.report === null) result.reportProblem = explainMissingReport(parsed.problem, result, facts.timeoutMs, facts.exit);
    return result;
  }

  /**
   * The engine's flag, or its `oom` event (see oom-watch.ts for why both). `exitCode` is null when
   * the host killed the container itself; a SIGKILL exit the host did not send waits briefly for a
   * late `oom` event, before the container is removed (an event for a removed container is lost).
   */
  private async readOomKilled(exitCode: number | null): Promise<boolean> {
    if (this.oomWatch?.oomKilled) return true;
    try {
      const info = await this.container.inspect();
      if (info.State.OOMKilled === true) return true;
    } catch (error) {
      if (!isGoneOrStopped(error)) throw dockerFailure("could not inspect a finished sandbox container", error);
    }
    if (exitCode === KILLED_EXIT_CODE && this.oomWatch) return this.oomWatch.waitFor(OOM_EVENT_GRACE_MS);
    return false;
  }

  /** SIGKILL from the host: what ends busy loops and Atomics.wait inside. */
  async kill(): Promise<void> {
    try {
      await this.container.kill({ signal: "SIGKILL" });
    } catch (error) {
      if (!isGoneOrStopped(error)) {
        process.emitWarning(`toolforge sandbox: killing container ${this.id.slice(0, 12)} failed (${errorMessage(error)}); removing it`);
        await this.destroy();
        return;
      }
    }
    const outcome = await Promise.race([this.whenExited.then(() => "exited"), delay(KILL_GRACE_MS, "stuck")]);
    if (outcome === "stuck") await this.destroy();
  }

  /** Removes the container (killing it if it runs). Safe to call more than once. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      this.stream?.destroy();
      this.oomWatch?.close();
      try {
        await this.container.remove({ force: true });
      } catch (error) {
        if (!isGoneOrStopped(error)) throw dockerFailure(`could not remove sandbox container ${this.id.slice(0, 12)}`, error);
      }
    })();
    return this.destroyed;
  }
}

function explainMissingReport(problem: string, result: JobResult, timeoutMs: number, exit: ExitState | undefined): string {
  if (result.timedOut) return `the job ran past its ${timeoutMs} ms limit and was killed; ${problem}`;
  if (result.oomKilled) return `the job went over the sandbox's memory limit and was killed; ${problem}`;
  if (exit?.error) return `lost track of the container (${errorMessage(exit.error)}); ${problem}`;
  if (exit?.code === ABANDONED_EXIT_CODE)
    return `the container's input closed before the job finished (the connection to the Docker engine broke); ${problem}`;
  return exit ? `${problem} (exit code ${exit.code})` : problem;
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE"]);

/** Docker failures become typed errors; an unreachable engine says how to start it. */
export function dockerFailure(what: string, error: unknown): Error {
  if (error instanceof ToolForgeError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && UNREACHABLE_CODES.has(code)) {
    return new SandboxUnavailableError(
      `${what}: the Docker engine is not reachable (${code})`,
      "start it: `bash scripts/provision-sandbox.sh` (installs and starts Docker + runsc) or `sudo systemctl start docker`",
      error,
    );
  }
  return new ToolForgeError("sandbox_docker_error", `${what}: ${errorMessage(error)}`, { cause: error });
}
