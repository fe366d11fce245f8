/**
 * One sandbox container through its whole life: created, attached (stdin/stdout/stderr over one
 * hijacked connection), started, then READY → job → clean-up → READY … as long as its owner hands it
 * jobs, until it is removed. Each job runs in a FRESH runner process that the supervisor
 * (sandbox/supervisor.pl) starts in new namespaces and clears away, with the scratch directories,
 * before the next job (see container-output.ts for how the output is told apart).
 * A job that runs past its timeout, is aborted, or kills the container (memory) ends the container:
 * it is killed from the host and never takes another job.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import type { Diagnostics } from "../diagnostics.js";
import { SandboxUnavailableError, ToolForgeError, errorMessage } from "../errors.js";
import { ContainerOutput, type JobOutput } from "./container-output.js";
import { dockerFailure, isGoneOrStopped } from "./docker-errors.js";
import {
  CLEANUP_ALLOWANCE_MS,
  DEADLINE_EXIT_CODE,
  answerLine,
  deadlineLine,
  STARTUP_TIMEOUT_MS,
  type ContainerDeadlines,
} from "./deadline.js";
import { OOM_EVENT_GRACE_MS, OomWatch } from "./oom-watch.js";
import { jobResult, type ExitState } from "./job-result.js";
import { parseReport } from "./output.js";
import { RequestChannel } from "./request-channel.js";
import type { JobResult, SandboxJob } from "./types.js";

/** After the container exits, how long to wait for the last output to arrive. */
const OUTPUT_DRAIN_MS = 2_000;
/**
 * After the report, the longest wait for the rest of stderr. It normally follows within
 * milliseconds, but under load a flood on stderr can trail stdout by seconds; only a module that
 * closed fd 2 makes this wait run out (the supervisor's end line follows soon after the runner ends).
 */
const STDERR_GRACE_MS = 5_000;
/** After a kill, how long to wait for the exit before forcing removal. */
const KILL_GRACE_MS = 10_000;
/** The exit code of a process ended by SIGKILL (the OOM killer's signal, and the host's). */
const KILLED_EXIT_CODE = 137;

/** A job's result, and whether the container can take another job afterwards. */
export interface JobRun {
  result: JobResult;
  /** Resolves true once the container is ready for its next job, false when it is gone (or must go). */
  reusable: Promise<boolean>;
}

type Phase = "starting" | "ready" | "busy" | "gone";

export class SandboxContainer {
  private readonly output = new ContainerOutput();
  private stream: Duplex | undefined;
  private streamEnded: Promise<void> = Promise.resolve();
  private exitState: Promise<ExitState> | undefined;
  private exitedFlag = false;
  private phase: Phase = "starting";
  private jobs = 0;
  private destroyed: Promise<void> | undefined;
  private oomWatch: OomWatch | undefined;
  private readonly createdAt = Date.now();
  private idleDeadline: number;

  private constructor(
    private readonly docker: Docker,
    readonly container: Docker.Container,
    private readonly deadlines: ContainerDeadlines,
    private readonly diagnostics: Diagnostics,
  ) {
    this.idleDeadline = this.createdAt + deadlines.idleMs;
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

  /** Jobs handed to this container so far. */
  get jobsRun(): number {
    return this.jobs;
  }

  /** True while a runner waits for a job here. */
  get isReady(): boolean {
    return this.phase === "ready" && !this.exitedFlag;
  }

  /**
   * By this time (host clock, ms) the container ends itself if no job has come (its idle deadline,
   * or the end of the time it takes jobs in); a little later in truth.
   */
  get idleUntil(): number {
    return Math.min(this.idleDeadline, this.createdAt + this.deadlines.acceptMs);
  }

  /**
   * Creates, attaches and starts a container running the supervisor with these deadlines (the
   * spec's command must agree: containerSpec builds both from them); on any failure it is removed.
   */
  static async start(
    docker: Docker,
    spec: Docker.ContainerCreateOptions,
    deadlines: ContainerDeadlines,
    diagnostics: Diagnostics,
  ): Promise<SandboxContainer> {
    let container: Docker.Container;
    try {
      container = await docker.createContainer(spec);
    } catch (error) {
      throw dockerFailure("could not create a sandbox container", error);
    }
    const sandboxContainer = new SandboxContainer(docker, container, deadlines, diagnostics);
    try {
      sandboxContainer.oomWatch = await OomWatch.open(docker, container.id, diagnostics);
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
    this.docker.modem.demuxStream(stream, this.output.stdoutSink, this.output.stderrSink);
    await this.container.start();
    this.exitState = this.container.wait().then(
      (answer: { StatusCode: number }) => ({ code: answer.StatusCode }),
      (error: unknown) => ({ code: null, error }),
    );
    void this.exitState.then(() => {
      this.exitedFlag = true;
      this.phase = "gone";
    });
  }

  /** Waits for the first READY; throws when the container stops or stays silent instead. */
  async waitReady(timeoutMs: number = STARTUP_TIMEOUT_MS): Promise<void> {
    const timeout = new AbortController();
    try {
      const outcome = await Promise.race([
        this.output.whenReady().then(() => "ready" as const),
        this.whenExited.then(() => "exited" as const),
        delay(timeoutMs, "timeout" as const, { signal: timeout.signal }),
      ]);
      if (outcome === "ready") {
        this.becameReady();
        return;
      }
      if (outcome === "exited") {
        const { code } = await this.whenExited;
        await Promise.race([this.streamEnded, delay(OUTPUT_DRAIN_MS)]);
        throw new SandboxUnavailableError(
          `the sandbox container stopped (exit code ${code}) before its runner was ready; stderr: ${this.output.betweenJobs.text().trim() || "(empty)"}`,
          "check that the image runs `perl /opt/toolforge/supervisor.pl` (unset SANDBOX_IMAGE to use the built-in image) and that `docker run --runtime=runsc` works",
        );
      }
      throw new SandboxUnavailableError(
        `the sandbox container was not ready within ${timeoutMs} ms of starting`,
        "the machine may be overloaded; check `docker ps` and `docker info`, or lower SANDBOX_MAX_CONTAINERS",
      );
    } finally {
      timeout.abort();
    }
  }

  private becameReady(): void {
    if (this.exitedFlag) return;
    this.phase = "ready";
    this.idleDeadline = Date.now() + this.deadlines.idleMs;
  }

  /**
   * Hands a job to the waiting runner and returns its result; the timeout counts from here. An
   * aborted `signal` ends the job at once (the container is killed, as for a timeout).
   */
  async run(job: SandboxJob, timeoutMs: number, signal?: AbortSignal): Promise<JobRun> {
    if (this.phase !== "ready" || !this.stream) {
      throw new ToolForgeError("sandbox_not_ready", `the sandbox container is not waiting for a job (it is ${this.phase})`);
    }
    this.phase = "busy";
    this.jobs++;
    const token = randomBytes(16).toString("hex");
    const nonce = randomBytes(16).toString("hex");
    const line = JSON.stringify({
      token,
      action: job.action,
      module: job.module,
      contract: job.contract ?? "tool",
      input: job.input,
      outside: job.onRequest !== undefined,
      ...(job.tools ? { tools: job.tools } : {}),
    });
    const stream = this.stream;
    const channel = new RequestChannel({ token, onRequest: job.onRequest, answer: (json) => stream.write(answerLine(nonce, json)) });
    const out = this.output.beginJob(token, nonce, channel);
    const startedAt = performance.now();
    // The supervisor reads the deadline line (the nonce stays with it), then passes the job line to the runner.
    this.stream.write(deadlineLine(timeoutMs, nonce) + line + "\n");

    const stop = new AbortController();
    const aborted = signal
      ? new Promise<{ kind: "aborted" }>((resolve) => {
          const onAbort = () => resolve({ kind: "aborted" });
          if (signal.aborted) return onAbort();
          signal.addEventListener("abort", onAbort, { once: true });
          stop.signal.addEventListener("abort", () => signal.removeEventListener("abort", onAbort), { once: true });
        })
      : new Promise<never>(() => undefined);
    const outcome = await Promise.race([
      out.report.then((reportLine) => ({ kind: "report" as const, reportLine })),
      out.ended.then((status) => ({ kind: "ended" as const, status })),
      this.whenExited.then((exit) => ({ kind: "exited" as const, exit })),
      delay(timeoutMs, { kind: "timeout" as const }, { signal: stop.signal }).catch(() => ({ kind: "timeout" as const })),
      aborted,
    ]);
    stop.abort();
    channel.close();
    const facts = { startedAt, timeoutMs, token, out };

    if (outcome.kind === "report" || outcome.kind === "ended") {
      // The runner wrote its report and exited at once (no module code runs in between), or it
      // ended without one: the job is over. stdout and stderr travel apart, so the last of stderr
      // may still be on its way.
      const grace = new AbortController();
      await Promise.race([
        out.stderrComplete,
        this.streamEnded,
        delay(STDERR_GRACE_MS, undefined, { signal: grace.signal }).catch(() => undefined),
      ]);
      grace.abort();
      const result =
        outcome.kind === "report"
          ? jobResult({ ...facts, exitCode: 0, timedOut: false, oomKilled: false, parsed: parseReport(outcome.reportLine, token) })
          : jobResult({
              ...facts,
              exitCode: outcome.status,
              timedOut: false,
              oomKilled: false,
              parsed: parseReport(out.stdout.tailText(), token),
              runnerStatus: outcome.status,
            });
      return { result, reusable: this.settle(out) };
    }

    let exit: ExitState;
    if (outcome.kind === "timeout" || outcome.kind === "aborted") {
      await this.kill();
      exit = await this.whenExited;
    } else {
      exit = outcome.exit;
    }
    const durationMs = performance.now() - startedAt;
    await Promise.race([this.streamEnded, delay(OUTPUT_DRAIN_MS)]);
    const hostKilled = outcome.kind === "timeout" || outcome.kind === "aborted";
    // The container's own deadline (the supervisor) may end a job a moment before the host's does.
    const timedOut = outcome.kind === "timeout" || (outcome.kind === "exited" && exit.code === DEADLINE_EXIT_CODE);
    const oomKilled = await this.readOomKilled(hostKilled ? null : exit.code);
    const killed = timedOut || oomKilled || outcome.kind === "aborted";
    const result = jobResult({
      ...facts,
      durationMs,
      exitCode: killed ? null : exit.code,
      timedOut,
      oomKilled,
      aborted: outcome.kind === "aborted",
      parsed: parseReport(out.stdout.tailText(), token),
      exit,
    });
    return { result, reusable: Promise.resolve(false) };
  }

  /** After a job: true once the supervisor has cleared it away and the next runner waits. */
  private async settle(out: JobOutput): Promise<boolean> {
    const timeout = new AbortController();
    try {
      const outcome = await Promise.race([
        Promise.all([out.ended, this.output.whenReady()]).then(() => "ready" as const),
        this.whenExited.then(() => "exited" as const),
        // The clean-up, then the next runner's start.
        delay(CLEANUP_ALLOWANCE_MS + STARTUP_TIMEOUT_MS, "timeout" as const, { signal: timeout.signal }),
      ]);
      if (outcome !== "ready" || this.exitedFlag) return false;
      this.becameReady();
      return true;
    } finally {
      timeout.abort();
    }
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
    this.phase = "gone";
    try {
      await this.container.kill({ signal: "SIGKILL" });
    } catch (error) {
      if (!isGoneOrStopped(error)) {
        this.diagnostics.warn(
          "sandbox",
          `toolforge sandbox: killing container ${this.id.slice(0, 12)} failed (${errorMessage(error)}); removing it`,
          {
            containerId: this.id,
          },
        );
        await this.destroy();
        return;
      }
    }
    const outcome = await Promise.race([this.whenExited.then(() => "exited"), delay(KILL_GRACE_MS, "stuck")]);
    if (outcome === "stuck") await this.destroy();
  }

  /** Removes the container (killing it if it runs). Safe to call more than once. */
  destroy(): Promise<void> {
    this.phase = "gone";
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
