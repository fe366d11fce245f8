/**
 * The warm pool: `size` containers started ahead (same spec, same walls as a cold job), each with
 * node already running the runner and waiting on stdin for its ONE job. A job takes a ready
 * container, the container is removed afterwards, and a replacement starts in the background.
 * No container ever runs a second job, so nothing (state, file, process) passes between jobs.
 * An empty pool never makes a job wait: it runs cold. A container that dies while waiting is
 * noticed and replaced, and one that nears its idle deadline (it would end itself: deadline.ts) is
 * replaced before it does. close() removes every container, waiting or busy.
 */
import { ToolForgeError, errorMessage } from "../errors.js";
import type { DockerSandbox } from "./docker-sandbox.js";
import { checkJob } from "./job.js";
import type { SandboxContainer } from "./sandbox-container.js";
import type { JobResult, Sandbox, SandboxJob } from "./types.js";

const MAX_REFILL_BACKOFF_MS = 30_000;
/** How long a warm job may run before its replacement starts anyway. */
const REFILL_DELAY_MS = 250;
/**
 * A waiting container is replaced this long before its idle deadline (it ends itself then: see
 * deadline.ts), and never handed a job closer to it than this.
 */
const IDLE_MARGIN_MS = 30_000;

export interface PoolStats {
  /** Containers ready and waiting for a job. */
  ready: number;
  /** Containers being started for the pool. */
  starting: number;
  /** Jobs that found the pool empty and ran cold. */
  coldStarts: number;
  /** Jobs served by a pooled container. */
  warmTakes: number;
  /** Pooled containers that stopped while waiting and were replaced. */
  diedWhileWaiting: number;
  /** Pooled containers replaced because they neared their idle deadline without a job. */
  recycled: number;
}

export class SandboxPool implements Sandbox {
  private readonly ready: SandboxContainer[] = [];
  private starting = 0;
  private failuresInARow = 0;
  private refillTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly counters = { coldStarts: 0, warmTakes: 0, diedWhileWaiting: 0, recycled: 0 };

  constructor(
    private readonly containers: DockerSandbox,
    private readonly size: number,
    private readonly defaultTimeoutMs: number,
    private readonly warn: (message: string) => void = (message) => process.emitWarning(message, "ToolForgeSandbox"),
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a sandbox pool needs a size of at least 1, not ${size}`);
    this.fill();
  }

  async run(job: SandboxJob): Promise<JobResult> {
    if (this.containers.isClosed)
      throw new ToolForgeError("sandbox_closed", "the sandbox pool was closed; create a new one with createSandbox()");
    checkJob(job);
    const container = this.take();
    if (!container) {
      this.counters.coldStarts++;
      this.fill();
      return this.containers.run(job);
    }
    this.counters.warmTakes++;
    // Starting a replacement costs a CPU-second of gVisor boot: on a small machine it would slow
    // the very job it replaces. Start it when the job ends, or after a short delay for long jobs.
    const refill = setTimeout(() => this.fill(), REFILL_DELAY_MS);
    try {
      return await container.handOver(job, job.timeoutMs ?? this.defaultTimeoutMs);
    } finally {
      clearTimeout(refill);
      this.retire(container);
      this.fill();
    }
  }

  stats(): PoolStats {
    return { ready: this.ready.length, starting: this.starting, ...this.counters };
  }

  /** Resolves once `count` containers (default: the pool's size) are ready: for benchmarks and tests. */
  async whenReady(count: number = this.size, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ready.length < Math.min(count, this.size)) {
      if (this.containers.isClosed) throw new ToolForgeError("sandbox_closed", "the sandbox pool was closed while waiting for it to fill");
      if (Date.now() > deadline)
        throw new ToolForgeError("sandbox_pool_slow", `the sandbox pool did not reach ${count} ready containers within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 1_000);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Resolves when the pool is full and no container is being started or removed: a quiet machine. */
  async settled(): Promise<void> {
    await this.whenReady();
    await this.containers.settled();
  }

  async close(): Promise<void> {
    clearTimeout(this.refillTimer);
    this.ready.length = 0;
    this.wakeWaiters();
    await this.containers.close(); // removes waiting, busy and starting containers alike
  }

  private take(): SandboxContainer | undefined {
    for (let container = this.ready.shift(); container; container = this.ready.shift()) {
      if (!container.exited && container.idleUntil - Date.now() > IDLE_MARGIN_MS) return container;
      this.retire(container);
    }
    return undefined;
  }

  private fill(): void {
    if (this.containers.isClosed || this.refillTimer) return;
    while (this.ready.length + this.starting < this.size) {
      this.starting++;
      void this.startOne().finally(() => this.starting--);
    }
  }

  private async startOne(): Promise<void> {
    let container: SandboxContainer;
    try {
      container = await this.containers.startContainer({ pooled: true });
    } catch (error) {
      this.startFailed(error);
      return;
    }
    try {
      await container.waitReady();
    } catch (error) {
      this.retire(container);
      this.startFailed(error);
      return;
    }
    if (this.containers.isClosed) return this.retire(container);
    this.failuresInARow = 0;
    this.ready.push(container);
    this.wakeWaiters();
    const recycle = setTimeout(
      () => {
        const at = this.ready.indexOf(container);
        if (at < 0) return;
        this.ready.splice(at, 1);
        this.counters.recycled++;
        this.retire(container);
        this.fill();
      },
      Math.max(0, container.idleUntil - Date.now() - IDLE_MARGIN_MS),
    );
    recycle.unref();
    void container.whenExited.then(() => {
      clearTimeout(recycle);
      const at = this.ready.indexOf(container);
      if (at < 0) return; // taken meanwhile: its job reads the exit
      this.ready.splice(at, 1);
      this.counters.diedWhileWaiting++;
      this.retire(container);
      this.fill();
    });
  }

  /** A failed start (Docker down, overload): back off before trying again; jobs still run cold. */
  private startFailed(error: unknown): void {
    if (this.containers.isClosed) return;
    this.failuresInARow++;
    const backoffMs = Math.min(MAX_REFILL_BACKOFF_MS, 500 * 2 ** (this.failuresInARow - 1));
    this.warn(`toolforge sandbox pool: starting a container failed (${errorMessage(error)}); retrying in ${backoffMs} ms`);
    if (this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, backoffMs);
    this.refillTimer.unref();
  }

  private retire(container: SandboxContainer): void {
    this.containers.discard(container).catch((error: unknown) => {
      this.warn(`toolforge sandbox pool: removing container ${container.id.slice(0, 12)} failed: ${errorMessage(error)}`);
    });
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}
