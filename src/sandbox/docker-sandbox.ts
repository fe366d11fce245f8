/**
 * Makes and removes sandbox containers (the pool, pool.ts, decides how many), and runs ONE job in
 * ONE fresh container: `run` is the cold path the benchmarks and some tests measure (created,
 * started, given its job, removed in the background). What createSandbox returns is the pool.
 */
import type Docker from "dockerode";
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import { ToolForgeError } from "../errors.js";
import { currentProcess, type ProcessIdentity } from "../util/process-identity.js";
import { containerSpec, type SandboxSettings } from "./container-spec.js";
import { DEFAULT_TIMING, MAX_JOB_TIMEOUT_MS, type ContainerDeadlines, type SandboxTiming } from "./deadline.js";
import { checkJob } from "./job.js";
import { SandboxContainer } from "./sandbox-container.js";
import type { JobResult, Sandbox, SandboxJob } from "./types.js";

export interface DockerSandboxOptions {
  /** The process that owns the containers (their labels; the reaper judges by it). Default: this one. */
  owner?: ProcessIdentity;
  /** The deadlines containers enforce on themselves (deadline.ts); tests shorten them. */
  timing?: Partial<SandboxTiming>;
  /** Where what goes wrong with a container in the background is reported (default: process warnings). */
  diagnostics?: Diagnostics;
}

export class DockerSandbox implements Sandbox {
  private closed = false;
  /** Every container started and not yet removed (running a job, or waiting in a pool). */
  private readonly live = new Set<SandboxContainer>();
  /** Container starts under way; close() waits for them. */
  private readonly starting = new Set<Promise<SandboxContainer>>();
  /** Removals under way; close() waits for them. */
  private readonly removing = new Set<Promise<void>>();

  readonly timing: SandboxTiming;
  private readonly owner: ProcessIdentity;
  private readonly diagnostics: Diagnostics;

  constructor(
    private readonly docker: Docker,
    private readonly image: string,
    private readonly settings: SandboxSettings,
    options: DockerSandboxOptions = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.owner = options.owner ?? currentProcess();
    this.diagnostics = options.diagnostics ?? processDiagnostics;
  }

  /** One job in a fresh container, removed afterwards (in the background: close() waits for it). */
  async run(job: SandboxJob): Promise<JobResult> {
    this.assertOpen();
    checkJob(job);
    const timeoutMs = job.timeoutMs ?? this.settings.timeoutMs;
    const container = await this.startContainer({ jobTimeoutMs: timeoutMs });
    try {
      await container.waitReady();
      const { result } = await container.run(job, timeoutMs, job.signal);
      return result;
    } finally {
      void this.discard(container).catch(() => undefined); // close() reports a removal that failed
    }
  }

  /**
   * A started container. One for a single job (`jobTimeoutMs`: its job's timeout) waits only as
   * long as a start takes and ends after that job; a pooled one waits up to the pool's idle
   * deadline between jobs, for jobs of any timeout up to MAX_JOB_TIMEOUT_MS, and takes up to
   * SANDBOX_JOBS_PER_CONTAINER jobs within the pool's accept time.
   */
  startContainer(options: { pooled?: boolean; jobTimeoutMs?: number } = {}): Promise<SandboxContainer> {
    this.assertOpen();
    const deadlines: ContainerDeadlines = options.pooled
      ? {
          idleMs: this.timing.poolIdleMs,
          maxJobMs: MAX_JOB_TIMEOUT_MS,
          acceptMs: this.timing.poolAcceptMs,
          maxJobs: this.settings.jobsPerContainer,
        }
      : {
          idleMs: this.timing.coldIdleMs,
          maxJobMs: options.jobTimeoutMs ?? MAX_JOB_TIMEOUT_MS,
          acceptMs: this.timing.coldIdleMs,
          maxJobs: 1,
        };
    const start = (async () => {
      const spec = containerSpec(this.image, this.settings, this.owner, deadlines, this.timing, { pooled: options.pooled ?? false });
      const container = await SandboxContainer.start(this.docker, spec, deadlines, this.diagnostics);
      if (this.closed) {
        await container.destroy();
        this.assertOpen();
      }
      this.live.add(container);
      return container;
    })();
    // close() waits for starts under way: a container still being created must not outlive us.
    this.starting.add(start);
    const forget = () => this.starting.delete(start);
    start.then(forget, forget);
    return start;
  }

  /** Removes a container this sandbox started; close() waits for removals still under way. */
  discard(container: SandboxContainer): Promise<void> {
    this.live.delete(container);
    const removal = container.destroy();
    this.removing.add(removal);
    const forget = () => this.removing.delete(removal);
    removal.then(forget, forget);
    return removal;
  }

  /** Resolves when every container start and removal under way has finished (benchmarks, tests). */
  async settled(): Promise<void> {
    while (this.starting.size > 0 || this.removing.size > 0) {
      await Promise.allSettled([...this.starting, ...this.removing]);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.starting]); // each removes its own container once it sees `closed`
    for (const container of [...this.live]) void this.discard(container).catch(() => undefined);
    const results = await Promise.allSettled([...this.removing]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  private assertOpen(): void {
    if (this.closed) throw new ToolForgeError("sandbox_closed", "the sandbox was closed; create a new one with createSandbox()");
  }
}
