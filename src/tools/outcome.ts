/**
 * From a sandbox JobResult of a tool call to a ToolCallOutcome, and from an outcome to the text a
 * model reads in its tool message. Never throws: every way a call can end becomes an outcome.
 */
import { type SandboxBusyError } from "../errors.js";
import type { JobResult } from "../sandbox/types.js";
import type { JsonValue } from "../store/types.js";
import type { ToolCallOutcome } from "./types.js";

/** Results larger than this (as JSON, UTF-8 bytes) come back as `result_too_large`. */
export const DEFAULT_MAX_RESULT_BYTES = 16 * 1024;

type Failure = Extract<ToolCallOutcome, { ok: false }>;

export function failure(kind: Failure["kind"], error: string, durationMs: number): Failure {
  return { ok: false, kind, error, durationMs };
}

/** A call the sandbox had no room for: nothing of it ran, and the model (or client) is told when to retry. */
export function busyFailure(name: string, error: SandboxBusyError, durationMs: number): Failure {
  return {
    ...failure("busy", `${name} did not run: ${error.message.split("\n")[0]}; retry in about ${error.retryAfterSeconds} s`, durationMs),
    retryAfterSeconds: error.retryAfterSeconds,
  };
}

/** A call its caller's signal stopped. */
export function abortedFailure(name: string, durationMs: number): Failure {
  return failure("aborted", `${name} was stopped: the call was cancelled by its caller`, durationMs);
}

/** Caps a result by its JSON size; anything not representable as JSON is refused too. */
export function capResult(name: string, result: unknown, maxBytes: number, durationMs: number): ToolCallOutcome {
  let json: string | undefined;
  try {
    json = JSON.stringify(result === undefined ? null : result);
  } catch (error) {
    return failure("threw", `${name} returned a value that is not JSON: ${String(error)}`, durationMs);
  }
  const bytes = Buffer.byteLength(json ?? "null", "utf8");
  if (bytes > maxBytes) {
    return failure(
      "result_too_large",
      `${name} returned ${bytes} bytes of JSON, more than the limit of ${maxBytes}; ask for less (filter, paginate or summarise)`,
      durationMs,
    );
  }
  return { ok: true, result: JSON.parse(json ?? "null") as JsonValue, durationMs };
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

export function outcomeFromJob(name: string, job: JobResult, maxBytes: number, timeoutMs: number | undefined): ToolCallOutcome {
  const ms = job.durationMs;
  if (job.aborted) return abortedFailure(name, ms);
  if (job.timedOut) {
    return failure("timeout", `${name} ran longer than ${timeoutMs ?? "the sandbox's"}${timeoutMs ? " ms" : ""} limit and was stopped`, ms);
  }
  if (job.oomKilled) return failure("memory", `${name} used more memory than the sandbox allows and was stopped`, ms);
  const report = job.report;
  if (report === null) {
    const stderr = lastLines(job.stderr, 5);
    return failure(
      "sandbox",
      `${name} ended without a valid report from the sandbox (${job.reportProblem ?? "no report"}; exit code ${job.exitCode ?? "none"})` +
        (stderr ? `: ${stderr}` : ""),
      ms,
    );
  }
  if (!report.ok) {
    const error = report.error;
    const what = error ? `${error.name}: ${error.message}` : (report.problems ?? []).join("; ") || "unknown error";
    const where = report.phase === "import" ? "failed to load" : report.phase === "exports" ? "does not export what a tool must" : "threw";
    return failure("threw", `${name} ${where}: ${what}`, ms);
  }
  if (job.exitCode !== 0) {
    return failure("sandbox", `${name} reported a result but the sandbox exited with code ${job.exitCode ?? "none"}`, ms);
  }
  return capResult(name, report.result, maxBytes, ms);
}

/** The tool message a model reads. */
export function outcomeText(outcome: ToolCallOutcome): string {
  if (outcome.ok) return typeof outcome.result === "string" ? outcome.result : JSON.stringify(outcome.result);
  return `ERROR (${outcome.kind}): ${outcome.error}`;
}
