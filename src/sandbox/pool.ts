/**
 * The sandbox pool: what createSandbox returns, and so the ONE bound on sandbox work in a process
 * (tool calls, forge validation, `tools add`, object methods all go through it).
 *
 * - Containers are started ahead (`minReady` of them wait when nothing runs) and kept: each runs
 *   its jobs one after another, every job in a fresh runner process that the supervisor clears
 *   away before the next (see sandbox/supervisor.pl); after `jobsPerContainer` jobs it is replaced.
 * - At most `maxContainers` exist at once, as the engine sees them: starting, waiting, running a
 *   job, clearing one away, or being removed.
 * - A job takes a waiting container; when none waits it joins a line (wait-queue.ts), and a new
 *   container is started for it if the bound allows and no container clearing a job will free up
 *   for it first. The line holds at most `queueLimit` jobs beyond the containers that are coming;
 *   a job that finds it full, or waits longer than `queueTimeoutMs`, gets SandboxBusyError with a
 *   Retry-After estimate. Nothing ever piles up beyond these bounds.
 * - The pool grows to demand and shrinks back: a container beyond `minReady` (also when that is 0)
 *   that waited SURPLUS_IDLE_MS without a job is removed. One that nears its idle deadline (it
 *   would end itself: deadline.ts), or that died while waiting, is replaced.
 * - A job's AbortSignal takes it out of the line, or ends it and its container (as a timeout).
 * - close() refuses later jobs, ends the waiting ones and removes every container.
 */
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import { SandboxBusyError, ToolForgeError, errorMessage } from "../errors.js";
import type { DockerSandbox } from "./docker-sandbox.js";
import { abortedWhileWaiting } from "./job-result.js";
import { checkJob } from "./job.js";
import { checkPoolSettings, type PoolSettings, type PoolStats } from "./pool-settings.js";
import type { JobRun, SandboxContainer } from "./sandbox-container.js";
import type { JobResult, Sandbox, SandboxJob } from "./types.js";
import { WaitEnded, WaitQueue } from "./wait-queue.js";

const MAX_REFILL_BACKOFF_MS = 30_000;
/**
 * A waiting container is replaced this long before its idle deadline (it ends itself then: see
 * deadline.ts), and never handed a job closer to it than this.
 */
const IDLE_MARGIN_MS = 30_000;
/** A container beyond the pool's size that waited this long without a job is removed. */
const SURPLUS_IDLE_MS = 30_000;
/** Weight of the newest job cycle in the running average the Retry-After estimate uses. */
const CYCLE_WEIGHT = 0.2;

export class SandboxPool implements Sandbox {
  private readonly ready: SandboxContainer[] = [];
  /** Containers running a job or clearing one away (in the set from when a job takes them). */
  private readonly busy = new Set<SandboxContainer>();
  private starting = 0;
  /** Containers being removed: they still exist, so they still count against the bound. */
  private removing = 0;
  /** Of the busy containers, those whose job has ended and that are clearing it away. */
  private settling = 0;
  private readonly queue = new WaitQueue<SandboxContainer>();
  private readonly readyTimers = new Map<SandboxContainer, NodeJS.Timeout>();
  private readonly readyWaiters = new Set<() => void>();
  private failuresInARow = 0;
  private lastStartFailure: Error | undefined;
  private refillTimer: NodeJS.Timeout | undefined;
  /** Running average of a container's job cycle (taken → ready again), for Retry-After. */
  private cycleMs = 1_000;
  private peak = 0;
  private readonly counters = {
    containersStarted: 0,
    warmTakes: 0,
    waited: 0,
    refusedBusy: 0,
    diedWhileWaiting: 0,
    recycled: 0,
    shrunk: 0,
  };

  constructor(
    private readonly containers: DockerSandbox,
    readonly settings: PoolSettings,
    private readonly diagnostics: Diagnostics = processDiagnostics,
  ) {
    checkPoolSettings(settings);
    this.fill();
  }

  async run(job: SandboxJob): Promise<JobResult> {
    this.assertOpen();
    checkJob(job);
    const { signal } = job;
    if (signal?.aborted) return abortedWhileWaiting();
    let container: SandboxContainer;
    try {
      container = await this.acquire(signal);
    } catch (error) {
      if (error instanceof WaitEnded && error.reason === "aborted") return abortedWhileWaiting();
      throw error;
    }
    const takenAt = performance.now();
    let run: JobRun;
    try {
      run = await container.run(job, job.timeoutMs ?? this.settings.defaultTimeoutMs, signal);
    } catch (error) {
      this.busy.delete(container);
      this.retire(container);
      this.replenish();
      throw error;
    }
    void this.afterJob(container, run.reusable, takenAt);
    return run.result;
  }

  stats(): PoolStats {
    return {
      ready: this.ready.length,
      starting: this.starting,
      busy: this.busy.size,
      queued: this.queue.size,
      peakContainers: this.peak,
      ...this.counters,
    };
  }

  /** Containers that exist: starting, waiting, running or clearing a job, being removed. */
  get containerCount(): number {
    return this.ready.length + this.busy.size + this.starting + this.removing;
  }

  /**
   * Resolves once `count` containers (default: the pool's size) wait for a job, starting more than
   * the pool keeps when asked (within the bound): for benchmarks and tests.
   */
  async whenReady(count: number = this.settings.minReady, timeoutMs = 120_000): Promise<void> {
    const want = Math.min(count, this.settings.maxContainers);
    const deadline = Date.now() + timeoutMs;
    while (this.ready.length < want) {
      this.assertOpen();
      while (this.ready.length + this.starting + this.settling < want && this.containerCount < this.settings.maxContainers) this.startOne();
      if (Date.now() > deadline)
        throw new ToolForgeError("sandbox_pool_slow", `the sandbox pool did not reach ${want} ready containers within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 1_000);
        const waiters = this.readyWaiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Resolves when the pool is full and no container is being started or removed: a quiet machine. */
  async settled(count?: number): Promise<void> {
    await this.whenReady(count);
    await this.containers.settled();
  }

  async close(): Promise<void> {
    clearTimeout(this.refillTimer);
    for (const timer of this.readyTimers.values()) clearTimeout(timer);
    this.readyTimers.clear();
    this.ready.length = 0;
    this.queue.rejectAll(closedError());
    this.wakeReadyWaiters();
    await this.containers.close(); // removes waiting, busy and starting containers alike
  }

  // ------------------------------------------------------------------------------- taking a container

  private acquire(signal: AbortSignal | undefined): Promise<SandboxContainer> {
    if (this.queue.size === 0) {
      const container = this.takeReady();
      if (container) {
        this.counters.warmTakes++;
        return Promise.resolve(container);
      }
    }
    if (this.containerCount === 0 && this.refillTimer && this.lastStartFailure) throw this.lastStartFailure;
    // Containers that will come for waiting jobs: those starting, those being removed (their place
    // frees up), and those the bound still allows.
    const coming = this.settings.maxContainers - this.busy.size - this.ready.length;
    if (this.queue.size >= this.settings.queueLimit + coming) {
      this.counters.refusedBusy++;
      throw this.busyError(
        `the sandbox is busy: all ${this.settings.maxContainers} containers (SANDBOX_MAX_CONTAINERS) are running jobs and ${this.queue.size} more jobs wait (SANDBOX_QUEUE_LIMIT is ${this.settings.queueLimit})`,
      );
    }
    this.counters.waited++;
    const waiting = this.queue.wait(this.settings.queueTimeoutMs, signal);
    this.grow();
    return waiting.catch((error: unknown) => {
      if (error instanceof WaitEnded && error.reason === "timeout") {
        this.counters.refusedBusy++;
        throw this.busyError(
          `the sandbox is busy: no container became free within ${this.settings.queueTimeoutMs} ms (SANDBOX_QUEUE_TIMEOUT_MS); ` +
            `${this.settings.maxContainers} containers (SANDBOX_MAX_CONTAINERS) are running jobs`,
        );
      }
      throw error;
    });
  }

  private takeReady(): SandboxContainer | undefined {
    for (let container = this.ready.shift(); container; container = this.ready.shift()) {
      this.clearReadyTimer(container);
      if (container.isReady && container.idleUntil - Date.now() > IDLE_MARGIN_MS) {
        this.busy.add(container);
        return container;
      }
      this.retire(container);
    }
    return undefined;
  }

  /** A container that may take a job: to the longest-waiting job, else it waits (or goes, beyond the pool's size). */
  private offer(container: SandboxContainer): void {
    if (this.queue.serve(container)) {
      this.busy.add(container);
      return;
    }
    this.ready.push(container);
    this.armReadyTimer(container);
    this.wakeReadyWaiters();
  }

  private async afterJob(container: SandboxContainer, reusable: Promise<boolean>, takenAt: number): Promise<void> {
    this.settling++;
    const ok = await reusable.catch(() => false);
    this.settling--;
    this.busy.delete(container);
    this.cycleMs += CYCLE_WEIGHT * (performance.now() - takenAt - this.cycleMs);
    const spent = container.jobsRun >= this.settings.jobsPerContainer;
    const expiring = container.idleUntil - Date.now() <= IDLE_MARGIN_MS;
    if (ok && !this.containers.isClosed && !spent && !expiring) {
      this.offer(container);
    } else {
      if (spent || (ok && expiring)) this.counters.recycled++;
      this.retire(container);
    }
    this.replenish();
  }

  // ------------------------------------------------------------------------------- sizing

  private replenish(): void {
    this.fill();
    this.grow();
  }

  /** Keeps `minReady` containers waiting or on their way (those clearing a job count: they will wait). */
  private fill(): void {
    if (this.containers.isClosed || this.refillTimer) return;
    while (
      this.ready.length + this.starting + this.settling < this.settings.minReady &&
      this.containerCount < this.settings.maxContainers
    ) {
      this.startOne();
    }
  }

  /** Starts a container for each waiting job that no container starting or clearing a job will serve first. */
  private grow(): void {
    if (this.containers.isClosed || this.refillTimer) return;
    while (this.queue.size > this.starting + this.settling && this.containerCount < this.settings.maxContainers) this.startOne();
  }

  private startOne(): void {
    this.starting++;
    this.peak = Math.max(this.peak, this.containerCount);
    void (async () => {
      let container: SandboxContainer | undefined;
      try {
        container = await this.containers.startContainer({ pooled: true });
        await container.waitReady();
      } catch (error) {
        this.starting--;
        if (container) this.retire(container);
        this.startFailed(error);
        return;
      }
      this.starting--;
      if (this.containers.isClosed) return this.retire(container);
      this.failuresInARow = 0;
      this.lastStartFailure = undefined;
      this.counters.containersStarted++;
      void container.whenExited.then(() => {
        const at = this.ready.indexOf(container);
        if (at < 0) return; // running a job (its job reads the exit) or already gone
        this.ready.splice(at, 1);
        this.clearReadyTimer(container);
        this.counters.diedWhileWaiting++;
        this.retire(container);
        this.replenish();
      });
      this.offer(container);
    })();
  }

  /**
   * A failed start (Docker down, overload): back off before starting again. Jobs that wait with no
   * container left to serve them get the failure now, rather than a "busy" at the queue's deadline.
   */
  private startFailed(error: unknown): void {
    if (this.containers.isClosed) return;
    this.failuresInARow++;
    this.lastStartFailure = error instanceof Error ? error : new Error(errorMessage(error));
    const backoffMs = Math.min(MAX_REFILL_BACKOFF_MS, 500 * 2 ** (this.failuresInARow - 1));
    this.diagnostics.warn(
      "sandbox",
      `toolforge sandbox pool: starting a container failed (${errorMessage(error)}); retrying in ${backoffMs} ms`,
    );
    if (this.containerCount === 0) this.queue.rejectAll(this.lastStartFailure);
    if (this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.replenish();
    }, backoffMs);
    this.refillTimer.unref();
  }

  private armReadyTimer(container: SandboxContainer): void {
    this.clearReadyTimer(container);
    const untilRecycle = container.idleUntil - Date.now() - IDLE_MARGIN_MS;
    const surplus = this.ready.length > this.settings.minReady;
    const timer = setTimeout(
      () => {
        this.readyTimers.delete(container);
        const at = this.ready.indexOf(container);
        if (at < 0) return;
        const expiring = container.idleUntil - Date.now() <= IDLE_MARGIN_MS;
        if (!expiring && this.ready.length <= this.settings.minReady) return this.armReadyTimer(container);
        this.ready.splice(at, 1);
        if (expiring) this.counters.recycled++;
        else this.counters.shrunk++;
        this.retire(container);
        this.replenish();
      },
      Math.max(0, surplus ? Math.min(SURPLUS_IDLE_MS, untilRecycle) : untilRecycle),
    );
    timer.unref();
    this.readyTimers.set(container, timer);
  }

  private clearReadyTimer(container: SandboxContainer): void {
    clearTimeout(this.readyTimers.get(container));
    this.readyTimers.delete(container);
  }

  private retire(container: SandboxContainer): void {
    this.removing++;
    this.containers
      .discard(container)
      .catch((error: unknown) => {
        this.diagnostics.warn(
          "sandbox",
          `toolforge sandbox pool: removing container ${container.id.slice(0, 12)} failed: ${errorMessage(error)}`,
          {
            containerId: container.id,
          },
        );
      })
      .finally(() => {
        this.removing--;
        this.replenish(); // its place in the bound is free again
      });
  }

  private busyError(message: string): SandboxBusyError {
    // Jobs ahead of this one, spread over the containers, each taking a container's cycle.
    const seconds = ((this.queue.size + 1) * this.cycleMs) / this.settings.maxContainers / 1000;
    return new SandboxBusyError(message, Math.min(60, seconds));
  }

  private wakeReadyWaiters(): void {
    for (const wake of [...this.readyWaiters]) wake();
  }

  private assertOpen(): void {
    if (this.containers.isClosed) throw closedError();
  }
}

function closedError(): ToolForgeError {
  return new ToolForgeError("sandbox_closed", "the sandbox pool was closed; create a new one with createSandbox()");
}
