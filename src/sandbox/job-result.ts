/**
 * The JobResult a job ends with: its output without the report and the channel's lines, and, when
 * the module's report is missing, the reason a person can act on (timed out, over memory, aborted,
 * the engine's connection lost).
 */
import { errorMessage } from "../errors.js";
import type { JobOutput } from "./container-output.js";
import { ABANDONED_EXIT_CODE } from "./deadline.js";
import { stderrWithoutEndLine, stdoutWithoutReport, type ParsedReport } from "./output.js";
import { withoutRequestLines } from "./request-channel.js";
import type { JobResult } from "./types.js";

/** How a container ended: its exit code (null when unknown), or the error that lost track of it. */
export interface ExitState {
  code: number | null;
  error?: unknown;
}

/** What the container saw of one job. */
export interface JobFacts {
  startedAt: number;
  durationMs?: number;
  exitCode: number | null;
  timedOut: boolean;
  oomKilled: boolean;
  aborted?: boolean;
  parsed: ParsedReport;
  timeoutMs: number;
  exit?: ExitState;
  runnerStatus?: number;
  token: string;
  out: JobOutput;
}

export function jobResult(facts: JobFacts): JobResult {
  const { parsed, out } = facts;
  const durationMs = facts.durationMs ?? performance.now() - facts.startedAt;
  const result: JobResult = {
    exitCode: facts.exitCode,
    timedOut: facts.timedOut,
    oomKilled: facts.oomKilled,
    aborted: facts.aborted ?? false,
    durationMs: Math.round(durationMs * 100) / 100,
    stdout: withoutRequestLines(stdoutWithoutReport(out.stdout.text(), parsed.reportLine), facts.token),
    stderr: stderrWithoutEndLine(out.stderr.text(), facts.token),
    stdoutTruncated: out.stdout.truncated,
    stderrTruncated: out.stderr.truncated,
    report: parsed.report,
  };
  if (parsed.report === null) result.reportProblem = explainMissingReport(parsed.problem, result, facts);
  return result;
}

function explainMissingReport(
  problem: string,
  result: JobResult,
  facts: { timeoutMs: number; exit?: ExitState | undefined; runnerStatus?: number | undefined },
): string {
  const { exit } = facts;
  if (result.aborted) return `the job was aborted by its caller and stopped; ${problem}`;
  if (result.timedOut) return `the job ran past its ${facts.timeoutMs} ms limit and was killed; ${problem}`;
  if (result.oomKilled) return `the job went over the sandbox's memory limit and was killed; ${problem}`;
  if (facts.runnerStatus !== undefined) return `${problem} (exit code ${facts.runnerStatus})`;
  if (exit?.error) return `lost track of the container (${errorMessage(exit.error)}); ${problem}`;
  if (exit?.code === ABANDONED_EXIT_CODE)
    return `the container's input closed before the job finished (the connection to the Docker engine broke); ${problem}`;
  return exit ? `${problem} (exit code ${exit.code})` : problem;
}

/** The result of a job whose signal aborted it before it reached a container: nothing of it ran. */
export function abortedWhileWaiting(): JobResult {
  return {
    exitCode: null,
    timedOut: false,
    oomKilled: false,
    aborted: true,
    durationMs: 0,
    stdout: "",
    stderr: "",
    stdoutTruncated: false,
    stderrTruncated: false,
    report: null,
    reportProblem: "the job was aborted before a sandbox container took it: nothing of it ran",
  };
}
