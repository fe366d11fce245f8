/**
 * The deadlines a sandbox container enforces on ITSELF (sandbox/watchdog.mjs), so that a job ends
 * at its deadline even when no host process is left to kill it, and the lifetime it carries on its
 * label so that the reaper (reaper.ts) can remove it once that has passed.
 *
 *   created ──(start allowance)──▶ watchdog running ──(idle: waiting for a job)──▶ job ──(timeout + grace)──▶ ended
 *
 * The host still enforces every timeout itself (it kills at the job's timeout, a moment before the
 * container would); the watchdog is for when the host is gone or cannot reach the engine.
 */

/** How long a container may take from start to the runner's READY (gVisor boot + node start, twice). */
export const STARTUP_TIMEOUT_MS = 60_000;

// ---- the watchdog's side of the protocol; test/unit/sandbox-deadline.test.ts pins these to
// ---- sandbox/watchdog.mjs
/** The host's first line to a container: `TOOLFORGE_DEADLINE <ms>\n`, then the job line. */
export const DEADLINE_LINE_PREFIX = "TOOLFORGE_DEADLINE ";
/** The container waited longer than its idle deadline for a job. */
export const IDLE_EXIT_CODE = 123;
/** The job ran past its deadline and the container ended it. */
export const DEADLINE_EXIT_CODE = 124;
/** The host's attach closed (the host went away): the container ended itself. */
export const ABANDONED_EXIT_CODE = 125;
/** The container's deadline is the job's timeout plus this, so the host's own kill comes first. */
export const DEADLINE_GRACE_MS = 1000;
/** The unprivileged user the runner (and so the forged code) runs as; the watchdog runs as root. */
export const RUNNER_UID = 1000;
export const RUNNER_GID = 1000;
// ----

/** The longest job a sandbox accepts (also the upper bound of SANDBOX_TIMEOUT_MS). */
export const MAX_JOB_TIMEOUT_MS = 600_000;

export interface SandboxTiming {
  /** From creating a container to its watchdog running: the create→start gap and node's boot under load. */
  startAllowanceMs: number;
  /** How long a cold container waits for its job: the host hands it over as soon as the runner is ready. */
  coldIdleMs: number;
  /** How long a pooled container waits for a job before it ends itself (the pool replaces it before that). */
  poolIdleMs: number;
}

export const DEFAULT_TIMING: SandboxTiming = {
  startAllowanceMs: 60_000,
  coldIdleMs: STARTUP_TIMEOUT_MS + 10_000,
  poolIdleMs: 10 * 60_000,
};

/** What one container enforces on itself. */
export interface ContainerDeadlines {
  idleMs: number;
  /** The longest deadline it accepts for its job (a longer one is cut to this). */
  maxJobMs: number;
}

/** The longest a container with these deadlines can live, counted from its creation. */
export function lifetimeMs(deadlines: ContainerDeadlines, timing: SandboxTiming): number {
  return timing.startAllowanceMs + deadlines.idleMs + deadlines.maxJobMs + DEADLINE_GRACE_MS;
}

/** The command a container runs: the watchdog, which starts the runner. */
export function watchdogCommand(watchdogPath: string, deadlines: ContainerDeadlines): string[] {
  return ["node", watchdogPath, String(Math.ceil(deadlines.idleMs)), String(Math.ceil(deadlines.maxJobMs))];
}

/** The control line the host writes before the job line. */
export function deadlineLine(timeoutMs: number): string {
  return `${DEADLINE_LINE_PREFIX}${Math.ceil(timeoutMs)}\n`;
}
