/**
 * The deadlines a sandbox container enforces on ITSELF (sandbox/supervisor.pl), so that a job ends
 * at its deadline even when no host process is left to kill it, the supervisor's side of the job
 * protocol, and the lifetime a container carries on its label so that the reaper (reaper.ts) can
 * remove it once that has passed.
 *
 *   created ──(start allowance)──▶ READY ──(idle)──▶ job ──(timeout + grace)──▶ END ──▶ READY ──▶ …
 *                      └── nothing starts or waits later than `acceptMs` after the supervisor's start ──┘
 *
 * The host still enforces every timeout itself (it kills the container at the job's timeout, a
 * moment before the container would); the supervisor is for when the host is gone.
 */

/** How long a runner may take from its start to READY (gVisor boot + the runner's node start). */
export const STARTUP_TIMEOUT_MS = 60_000;

// ---- the supervisor's side of the protocol; test/unit/sandbox-supervisor.test.ts pins these to
// ---- sandbox/supervisor.pl
/** The host's first line of a job: `TOOLFORGE_DEADLINE <ms> <nonce>\n`, then the job line. */
export const DEADLINE_LINE_PREFIX = "TOOLFORGE_DEADLINE ";
/** After a job: `\nTOOLFORGE_END <nonce> <status>\n` on stdout and on stderr. */
export const END_LINE_PREFIX = "TOOLFORGE_END ";
/** The container takes no more jobs (its accept time is over, or jobs cannot be isolated there). */
export const RETIRED_EXIT_CODE = 122;
/** The container waited longer than its idle deadline for a job. */
export const IDLE_EXIT_CODE = 123;
/** The job ran past its deadline and the container ended it. */
export const DEADLINE_EXIT_CODE = 124;
/** The host's attach closed (the host went away): the container ended itself. */
export const ABANDONED_EXIT_CODE = 125;
/** The container's deadline is the job's timeout plus this, so the host's own kill comes first. */
export const DEADLINE_GRACE_MS = 1000;
/** The unprivileged user every job runs as; the supervisor runs as root. */
export const RUNNER_UID = 1000;
export const RUNNER_GID = 1000;
// ----

/** The longest job a sandbox accepts (also the upper bound of SANDBOX_TIMEOUT_MS). */
export const MAX_JOB_TIMEOUT_MS = 600_000;
/**
 * After a job's deadline, the supervisor's clean-up (its output drained, END written, the container
 * ended). The next runner's start is not in it: none starts, or waits, past the accept time.
 */
export const CLEANUP_ALLOWANCE_MS = 10_000;

export interface SandboxTiming {
  /** From creating a container to its supervisor running: the create→start gap and the boot under load. */
  startAllowanceMs: number;
  /** How long a container started for one job waits for it: the host hands it over as soon as it is ready. */
  coldIdleMs: number;
  /** How long a pooled container waits for its next job before it ends itself (the pool replaces it before). */
  poolIdleMs: number;
  /** For how long after its start a pooled container takes jobs (the pool retires it before). */
  poolAcceptMs: number;
}

export const DEFAULT_TIMING: SandboxTiming = {
  startAllowanceMs: 60_000,
  coldIdleMs: STARTUP_TIMEOUT_MS + 10_000,
  poolIdleMs: 10 * 60_000,
  poolAcceptMs: 30 * 60_000,
};

/** What one container enforces on itself. */
export interface ContainerDeadlines {
  /** The longest wait for the next job, from each READY. */
  idleMs: number;
  /** The longest deadline it accepts for a job (a longer one is cut to this). */
  maxJobMs: number;
  /** No job is taken later than this after the supervisor started. */
  acceptMs: number;
  /** After this many jobs the container ends instead of starting a next runner. */
  maxJobs: number;
}

/** The longest a container with these deadlines can live, counted from its creation. */
export function lifetimeMs(deadlines: ContainerDeadlines, timing: SandboxTiming): number {
  return timing.startAllowanceMs + deadlines.acceptMs + deadlines.maxJobMs + DEADLINE_GRACE_MS + CLEANUP_ALLOWANCE_MS;
}

/** The command a container runs: the supervisor, with its deadlines and the directories it empties after each job. */
export function supervisorCommand(supervisorPath: string, deadlines: ContainerDeadlines, scratchDirs: readonly string[]): string[] {
  const ms = (value: number) => String(Math.max(1, Math.ceil(value)));
  return [
    "perl",
    supervisorPath,
    ms(deadlines.idleMs),
    ms(deadlines.maxJobMs),
    ms(deadlines.acceptMs),
    String(deadlines.maxJobs),
    ...scratchDirs,
  ];
}

/** The control line the host writes before a job line; `nonce` (hex) tags the job's end line. */
export function deadlineLine(timeoutMs: number, nonce: string): string {
  return `${DEADLINE_LINE_PREFIX}${Math.ceil(timeoutMs)} ${nonce}\n`;
}

/** The start of the supervisor's end line for the job tagged `nonce` (the status follows). */
export function endLinePrefix(nonce: string): string {
  return `${END_LINE_PREFIX}${nonce} `;
}
