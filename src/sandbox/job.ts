/** Checks a job's shape before any container is spent on it. */
import { InvalidInputError } from "../errors.js";
import { MAX_JOB_TIMEOUT_MS } from "./deadline.js";
import type { SandboxJob } from "./types.js";

export function checkJob(job: SandboxJob): void {
  if (job.action !== "validate" && job.action !== "call") {
    throw new InvalidInputError(`sandbox job action ${JSON.stringify(job.action)} is unknown`, 'use "validate" or "call"');
  }
  if (typeof job.module !== "string" || job.module.trim() === "") {
    throw new InvalidInputError("sandbox job has no module source", "pass the transpiled ES module JavaScript as `module`");
  }
  if (job.contract !== undefined && job.contract !== "tool" && job.contract !== "method") {
    throw new InvalidInputError(`sandbox job contract ${JSON.stringify(job.contract)} is unknown`, 'use "tool" or "method"');
  }
  if (job.timeoutMs !== undefined && !(Number.isFinite(job.timeoutMs) && job.timeoutMs > 0 && job.timeoutMs <= MAX_JOB_TIMEOUT_MS)) {
    throw new InvalidInputError(
      `sandbox job timeoutMs ${job.timeoutMs} is not a number of milliseconds from 1 to ${MAX_JOB_TIMEOUT_MS}`,
      "the sandbox ends every job within 10 minutes; split longer work",
    );
  }
}
