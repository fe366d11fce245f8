/**
 * The sandbox's contract: everything that executes forged (untrusted) code goes through
 * `Sandbox.run`. The job travels into a container on stdin; a fresh runner process
 * (sandbox/runner.mjs) answers with one line tagged by a per-job token that only the host and the
 * runner know, so code under test cannot forge its own report. Implementations: the pool
 * (SandboxPool: warm containers, a bound on how many run, a queue in front of them; what
 * createSandbox returns) and one fresh container per job (DockerSandbox, for benchmarks and tests).
 */

/** What the runner should do with the module. */
export type JobAction =
  /** Import the module, check its exports against the contract, run its `test()`. */
  | "validate"
  /** Import the module and call its default export with `input` (a tool call). */
  | "call";

export interface SandboxJob {
  action: JobAction;
  /** The module as ES module JavaScript (already transpiled from TypeScript). */
  module: string;
  /** Which contract the exports are checked against. Default "tool". */
  contract?: "tool" | "method";
  /**
   * For "call": a tool's argument object, or for a method `{ self, args, kwargs }`.
   * For "validate" of a method: an optional dry run `{ self, args, kwargs }` after the test.
   */
  input?: unknown;
  /** Wall-clock limit for this job in ms, from the moment the job is handed over (default: config). */
  timeoutMs?: number;
  /**
   * Ends the job when aborted: a job still waiting for a container leaves the queue, a running one
   * is killed with its container (as at a timeout). Either way `run` resolves with `aborted: true`.
   */
  signal?: AbortSignal;
  /**
   * The host's answer to the module's outside requests (`ctx.fetch` in the runner): each request
   * travels over the runner's channel to here, and the answer back. Without it, a request is refused.
   */
  onRequest?: (request: { url: string; method?: string; headers?: Record<string, string>; body?: string | null }) => Promise<unknown>;
  /**
   * The library tools the module uses (`ctx.tools.<name>`), run in this same job: every version the
   * job can reach, with its compiled module. Without it, the module uses none.
   */
  tools?: JobTools;
}

/** The tool versions a job's module can call, keyed "name@version". */
export interface JobTools {
  /** The module's own `uses`: each name → the key of the version it is pinned to. */
  uses: Record<string, string>;
  /** Every version reachable, each with its module and its own `uses`. */
  modules: { key: string; name: string; module: string; uses: Record<string, string> }[];
}

/** Metadata the runner read from the module's exports inside the sandbox. */
export interface ModuleExports {
  name: unknown;
  description: unknown;
  schema: unknown;
  /** The hosts the module declares it calls (`export const hosts`); undefined when not exported. */
  hosts?: unknown;
  /** The library tools the module uses (`export const uses`); undefined when not exported. */
  uses?: unknown;
  hasDefault: boolean;
  defaultArity: number | null;
  hasTest: boolean;
}

export interface RunnerError {
  name: string;
  message: string;
  /** Trimmed stack: frames inside the runner are removed. */
  stack?: string;
}

/** The JSON the runner reports on its token line. */
export interface RunnerReport {
  ok: boolean;
  /** The stage the job reached: import → exports → test → dryrun (validate) or import → call. */
  phase: "import" | "exports" | "test" | "dryrun" | "call" | "done";
  exports?: ModuleExports;
  /** Contract problems found by the runner (e.g. "default export is not a function"). */
  problems?: string[];
  /** validate: true when test() ran to completion (returned, or its promise resolved). */
  testCompleted?: boolean;
  /** call / dry run: the JSON result of the default export. */
  result?: unknown;
  /** method call / dry run: `self` after the call (only meaningful when ok). */
  self?: unknown;
  error?: RunnerError;
  /** Milliseconds spent inside the runner per stage. */
  timings?: Record<string, number>;
}

export interface JobResult {
  /**
   * Container exit code; null when it was killed before exiting on its own (timeout, memory).
   * When the job ended with the runner's verified report line this is 0 without waiting for the
   * container's teardown (250+ ms under gVisor): the runner exits 0 right after writing that line,
   * with no module code running in between.
   */
  exitCode: number | null;
  /** The wall-clock limit ran out and the container was killed. */
  timedOut: boolean;
  /** The kernel's OOM killer ended it (memory limit). */
  oomKilled: boolean;
  /** The job's `signal` aborted it: it was stopped (or never started, when it was still waiting). */
  aborted: boolean;
  /** From handing the job over to having the result, ms. */
  durationMs: number;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** The runner's report: present only when the last line of stdout carried this run's token. */
  report: RunnerReport | null;
  /** Why `report` is null (no token line, wrong token, bad JSON, …). */
  reportProblem?: string;
}

/** True when the job ran cleanly to the end and the runner, verified by its token, says ok. */
export function jobSucceeded(result: JobResult): boolean {
  return result.exitCode === 0 && !result.timedOut && !result.oomKilled && !result.aborted && result.report !== null && result.report.ok;
}

export interface Sandbox {
  /**
   * Runs one job in a fresh runner process in a gVisor container. Throws SandboxBusyError when the
   * machine's bound of containers is reached and the queue in front of it is full (or the job waited
   * past the queue's deadline); resolves with `aborted: true` when `job.signal` aborts it.
   */
  run(job: SandboxJob): Promise<JobResult>;
  /** Removes every container this sandbox started; later `run` calls fail. */
  close(): Promise<void>;
}
