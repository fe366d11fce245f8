/**
 * What a sandbox pool is set to (from SANDBOX_* through the configuration, checked), the default
 * bound on containers, and what the pool reports (its stats).
 */
import os from "node:os";
import type { SandboxSettings } from "./container-spec.js";

export interface PoolSettings {
  /** Containers kept started and waiting when nothing runs (SANDBOX_POOL_SIZE). */
  minReady: number;
  /** The most containers at once (SANDBOX_MAX_CONTAINERS). */
  maxContainers: number;
  /** Jobs one container runs before it is replaced (SANDBOX_JOBS_PER_CONTAINER). */
  jobsPerContainer: number;
  /** Jobs that may wait beyond the containers that are coming (SANDBOX_QUEUE_LIMIT). */
  queueLimit: number;
  /** The longest a job waits for a container (SANDBOX_QUEUE_TIMEOUT_MS). */
  queueTimeoutMs: number;
  /** A job's timeout when it gives none (SANDBOX_TIMEOUT_MS). */
  defaultTimeoutMs: number;
}

/**
 * The bound on containers when SANDBOX_MAX_CONTAINERS is not set: enough to keep every CPU busy at
 * each container's quota, with half as many again so that a container clearing a job or starting
 * its next runner does not leave a CPU idle (measured: docs/sandbox.md), within half the memory.
 */
function defaultMaxContainers(settings: Pick<SandboxSettings, "cpus" | "memoryMb" | "poolSize">): number {
  const cpus = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const byCpu = Math.ceil((1.5 * cpus) / settings.cpus);
  const byMemory = Math.floor(os.totalmem() / 2 / (settings.memoryMb * 1024 * 1024));
  return Math.max(1, settings.poolSize, Math.min(byCpu, byMemory));
}

/** The pool's settings from the configuration. */
export function poolSettings(settings: SandboxSettings): PoolSettings {
  return {
    minReady: settings.poolSize,
    maxContainers: settings.maxContainers ?? defaultMaxContainers(settings),
    jobsPerContainer: settings.jobsPerContainer,
    queueLimit: settings.queueLimit,
    queueTimeoutMs: settings.queueTimeoutMs,
    defaultTimeoutMs: settings.timeoutMs,
  };
}

export interface PoolStats {
  /** Containers waiting for a job. */
  ready: number;
  /** Containers being started. */
  starting: number;
  /** Containers running a job or clearing one away. */
  busy: number;
  /** Jobs waiting for a container. */
  queued: number;
  /** The most containers that existed at once. */
  peakContainers: number;
  /** Containers started since the pool was made. */
  containersStarted: number;
  /** Jobs that found a container waiting. */
  warmTakes: number;
  /** Jobs that had to wait for a container (to start, or to clear its last job). */
  waited: number;
  /** Jobs refused because the line was full, or because they waited past its deadline. */
  refusedBusy: number;
  /** Containers that stopped while waiting and were replaced. */
  diedWhileWaiting: number;
  /** Containers replaced after their last job (SANDBOX_JOBS_PER_CONTAINER) or near their idle deadline. */
  recycled: number;
  /** Containers beyond the pool's size removed after waiting without a job. */
  shrunk: number;
}

/** Refuses settings no pool can keep (a RangeError naming the setting). */
export function checkPoolSettings(settings: PoolSettings): void {
  const { minReady, maxContainers, jobsPerContainer, queueLimit, queueTimeoutMs } = settings;
  if (!Number.isInteger(maxContainers) || maxContainers < 1)
    throw new RangeError(`a sandbox pool needs at least 1 container, not ${maxContainers}`);
  if (!Number.isInteger(minReady) || minReady < 0 || minReady > maxContainers)
    throw new RangeError(`a sandbox pool keeps 0 to ${maxContainers} containers waiting, not ${minReady}`);
  if (!Number.isInteger(jobsPerContainer) || jobsPerContainer < 1)
    throw new RangeError(`jobs per container must be at least 1, not ${jobsPerContainer}`);
  if (!(queueLimit >= 0) || !(queueTimeoutMs >= 0)) throw new RangeError("the queue's limit and timeout cannot be negative");
}
