/**
 * Runs one method call in the sandbox: `self` is a copy of the receiver's attributes, and the runner
 * reports the result and `self` after the call. Nothing of the method runs in this process.
 */
import type { JobResult, Sandbox } from "../sandbox/types.js";
import { jobSucceeded } from "../sandbox/types.js";
import type { JsonObject, JsonValue, MethodVersion } from "../store/types.js";
import { MethodFailedError } from "./errors.js";

export interface MethodCall {
  objectId: string;
  selector: string;
  method: MethodVersion;
  self: JsonObject;
  args: JsonValue[];
  kwargs: JsonObject;
}

export interface MethodCallOutcome {
  result: JsonValue;
  /** The receiver's attributes after the call. */
  self: JsonObject;
}

export async function invokeMethod(sandbox: Sandbox, call: MethodCall): Promise<MethodCallOutcome> {
  const job = await sandbox.run({
    action: "call",
    contract: "method",
    module: call.method.compiled,
    input: { self: structuredClone(call.self), args: call.args, kwargs: call.kwargs },
  });
  if (!jobSucceeded(job)) throw new MethodFailedError(call.objectId, call.selector, describeFailure(job));
  const report = job.report!;
  const self = report.self;
  if (!isJsonObject(self)) {
    throw new MethodFailedError(call.objectId, call.selector, "the method left `self` as something other than a JSON object");
  }
  return { result: (report.result ?? null) as JsonValue, self };
}

/** One line on why a call job did not succeed, in the order that explains it best. */
function describeFailure(job: JobResult): string {
  if (job.timedOut) return `it ran past the sandbox's time limit and was stopped (${Math.round(job.durationMs)} ms)`;
  if (job.oomKilled) return "it ran out of memory in the sandbox and was stopped";
  const report = job.report;
  if (report?.problems?.length) return `its module breaks the method contract: ${report.problems.join("; ")}`;
  if (report?.error) return `${report.error.name}: ${report.error.message} (during ${report.phase})`;
  if (!report)
    return `the sandbox gave no report (${job.reportProblem ?? "unknown reason"}); exit code ${job.exitCode ?? "none"}${tail(job.stderr)}`;
  return `the sandbox exited with code ${job.exitCode ?? "none"}${tail(job.stderr)}`;
}

function tail(stderr: string): string {
  const text = stderr.trim();
  return text ? `: ${text.slice(-400)}` : "";
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
