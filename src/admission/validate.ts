/**
 * The validation pipeline for one module, forged or written by hand: transpile → audit → sandbox.
 *
 *   validateModule({ source, contract, expectedName?, sandbox, dryRun?, timeoutMs?, resolveTools? })
 *     → Promise<ValidationResult>
 *
 * - `source` is the TypeScript module (the forge extracts it from the model's answer first).
 * - A module passes only when it transpiles, the audit finds nothing, and in the sandbox the runner
 *   (verified by its per-run token) reports a clean run: exit code 0, no timeout or OOM kill, no
 *   contract problems, and — for tools, and for methods that export `test` — `test()` completed.
 *   The host then checks the exports the runner reported (snake_case name, the expected name,
 *   a non-empty description, a schema of type object) as JSON data.
 * - `exports` (name, description, schema) come FROM THE SANDBOX REPORT: the module is never
 *   imported on the host.
 * - A tool that names library tools (`export const uses`) is run with them: `resolveTools` turns
 *   the names (read from the compiled module, never run) into the versions the job carries; a name
 *   it cannot resolve fails the module at the audit stage, with the reason. The result keeps the
 *   versions it was checked with (`tools`: the pins to install).
 * - `failure` is the text fed back to the model: the compiler errors, or the audit findings with
 *   rule, line and column, or the sandbox outcome (the assertion message, the stack trimmed to the
 *   module's frames with lines mapped back to the TypeScript, stderr) — concise and exact.
 * - `durations` are milliseconds per stage (0 for a stage that did not run).
 * - Errors that are not the module's fault (Docker gone, the sandbox closed, the sandbox busy:
 *   SandboxBusyError) propagate as thrown errors; they are never turned into a "failed module".
 *   So does cancelling: an aborted `signal` stops the sandbox job, and validation throws the
 *   signal's reason.
 *
 * `audit: false` is a TEST-ONLY switch (the defence-in-depth test runs hostile modules in the
 * sandbox with the audit off). Nothing in the configuration or the forge sets it; do not wire it to
 * a setting.
 */
import { performance } from "node:perf_hooks";
import type { JobResult, JobTools, RunnerError, RunnerReport, Sandbox } from "../sandbox/types.js";
import { jobSucceeded } from "../sandbox/types.js";
import { hostProblem, MAX_DECLARED_HOSTS, MAX_DESCRIPTION_CHARS, MAX_SOURCE_CHARS, nameProblem, REPORT_MARKER } from "../contract.js";
import { sha256Hex } from "../store/artifact.js";
import type { AuditFinding, JsonObject, JsonValue, ToolPin } from "../store/types.js";
import { auditModule, declaredOf, formatFindings, type ModuleContract } from "./audit.js";
import { createPositionMapper, type PositionMapper } from "./audit/positions.js";
import { transpileModule } from "./transpile.js";

interface ValidateCommon {
  contract: ModuleContract;
  /** The snake_case name the module must export (a requested tool name, a method's selector). */
  expectedName?: string | undefined;
  sandbox: Sandbox;
  /** Methods: after the test, call the method on a copy of the receiver in the sandbox. */
  dryRun?: { self: JsonObject; args: JsonValue[]; kwargs: JsonObject } | undefined;
  /** TEST ONLY: false skips the static audit (see the top of this file). Default true. */
  audit?: boolean;
  /** The sandbox job's wall-clock limit (default: the sandbox's configured timeout). */
  timeoutMs?: number | undefined;
  /** Stops the sandbox job when aborted (then validation throws the signal's reason). */
  signal?: AbortSignal | undefined;
  /** The library tools a module uses, as the job needs them (admission resolves them from the store). */
  resolveTools?: ((self: string, uses: readonly string[]) => Promise<ResolvedTools>) | undefined;
}

/** The library tools a module uses, resolved: the versions to run it with, or why they cannot be. */
export type ResolvedTools = { ok: true; tools: JobTools; pins: ToolPin[]; hosts: string[] } | { ok: false; problem: string };

export type ValidateOptions = ValidateCommon & { source: string };

export type ValidationStage = "transpile" | "audit" | "sandbox";

/** What the runner reported about the module's exports (JSON data, checked on the host). */
export interface ValidatedExports {
  /** Always a snake_case string for tools; a method's may be null (not exported). */
  name: string | null;
  /** Always a non-empty string for tools; a method's may be null. */
  description: string | null;
  /** Always an object of type "object" for tools; a method's may be null. */
  schema: JsonObject | null;
  /** The hosts a tool declares it calls (checked: distinct, valid, at most MAX_DECLARED_HOSTS); [] for none. */
  hosts: unknown;
  /** The library tools it names (checked against the source's literal list); [] for none. */
  uses: unknown;
}

interface ResultCommon {
  /** The TypeScript that was validated. */
  code: string;
  compiled?: string;
  /** The source map of `compiled` (JSON text). */
  sourceMap?: string;
  /** sha256 (hex) of `compiled`. */
  sha256?: string;
  findings: AuditFinding[];
  sandbox: JobResult | null;
  durations: { transpile: number; audit: number; sandbox: number };
  /** The library tools the module was checked with (none: it uses none). */
  tools?: { pins: ToolPin[]; hosts: string[] };
}

export type ValidationResult =
  | (ResultCommon & {
      ok: true;
      stage: "passed";
      failure: null;
      code: string;
      compiled: string;
      sourceMap: string;
      sha256: string;
      exports: ValidatedExports;
    })
  | (ResultCommon & { ok: false; stage: ValidationStage; failure: string; exports?: ValidatedExports });

/** How much of stderr / the module's stdout goes into a failure text. */
const OUTPUT_EXCERPT_CHARS = 1_500;

export async function validateModule(options: ValidateOptions): Promise<ValidationResult> {
  const durations = { transpile: 0, audit: 0, sandbox: 0 };
  const code = options.source;
  if (code.length > MAX_SOURCE_CHARS) {
    return fail("transpile", `The module is ${code.length} characters long, over the ${MAX_SOURCE_CHARS} limit: write a smaller module.`, {
      code,
      durations,
    });
  }

  let started = performance.now();
  const compiled = await transpileModule(code);
  durations.transpile = elapsed(started);
  if (!compiled.ok) return fail("transpile", compiled.failure, { code, durations });
  const artifact = {
    code,
    compiled: compiled.code,
    sourceMap: compiled.map,
    sha256: sha256Hex(compiled.code),
    durations,
  };

  let findings: AuditFinding[] = [];
  if (options.audit !== false) {
    started = performance.now();
    findings = auditModule(code, compiled.code, compiled.map, { contract: options.contract, expectedName: options.expectedName });
    durations.audit = elapsed(started);
    if (findings.length > 0) return fail("audit", formatFindings(findings, code), { ...artifact, findings });
  }

  const declared = declaredOf(compiled.code);
  const uses = declared.uses ?? [];
  let resolved: Extract<ResolvedTools, { ok: true }> | null = null;
  if (uses.length > 0) {
    if (options.contract !== "tool")
      return fail("audit", "A method cannot use library tools (`uses` is for tools).", { ...artifact, findings });
    const self = declared.name ?? options.expectedName;
    const answer =
      options.resolveTools && self !== undefined && self !== null
        ? await options.resolveTools(self, uses)
        : { ok: false as const, problem: "library tools cannot be used here (nothing resolves them)" };
    if (!answer.ok) return fail("audit", `The module's \`uses\` cannot be met: ${answer.problem}.`, { ...artifact, findings });
    resolved = answer;
  }
  const tools = resolved ? { tools: { pins: resolved.pins, hosts: resolved.hosts } } : {};

  started = performance.now();
  const result = await options.sandbox.run({
    action: "validate",
    module: compiled.code,
    contract: options.contract,
    ...(options.contract === "method" && options.dryRun ? { input: options.dryRun } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(resolved ? { tools: resolved.tools } : {}),
  });
  durations.sandbox = elapsed(started);
  if (result.aborted) throw abortReason(options.signal);

  const verdict = judgeRun(result, options, createPositionMapper(compiled.map), uses);
  if (verdict.failure !== null) {
    return fail("sandbox", verdict.failure, {
      ...artifact,
      findings,
      sandbox: result,
      ...tools,
      ...(verdict.exports ? { exports: verdict.exports } : {}),
    });
  }
  return { ok: true, stage: "passed", failure: null, ...artifact, findings, sandbox: result, ...tools, exports: verdict.exports! };
}

function fail(
  stage: ValidationStage,
  failure: string,
  rest: Partial<ResultCommon> & Pick<ResultCommon, "code" | "durations"> & { exports?: ValidatedExports },
): ValidationResult {
  return { ok: false, stage, failure, findings: [], sandbox: null, ...rest };
}

/** What an aborted validation throws: the signal's own reason (an AbortError unless the caller gave one). */
function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException("the validation was aborted", "AbortError");
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}

// ---------------------------------------------------------------------------- the sandbox verdict

interface Verdict {
  failure: string | null;
  exports: ValidatedExports | null;
}

/** Decides from the raw job result whether the module passed, and says exactly why not. */
function judgeRun(result: JobResult, options: ValidateCommon, mapper: PositionMapper, uses: readonly string[]): Verdict {
  const report = result.report;
  const exports = report?.exports ? readExports(report) : null;
  const failWith = (text: string): Verdict => ({ failure: withOutput(text, result), exports });

  if (result.timedOut) {
    const limit = options.timeoutMs !== undefined ? `${options.timeoutMs} ms` : "the time limit";
    return failWith(
      `The sandbox run did not finish within ${limit} and was stopped. Look for an endless loop, or a promise that never settles, in test() or at the top of the module.`,
    );
  }
  if (result.oomKilled) {
    return failWith("The sandbox run ran out of memory and was killed. Use less memory (smaller arrays and strings, no unbounded growth).");
  }
  if (report === null) {
    return failWith(
      `The sandbox run ended without a valid report from the runner: ${result.reportProblem ?? `no report line (exit code ${result.exitCode ?? "none"})`}. ` +
        "The module must not exit the process, print a report of its own, or write output after returning: let test() return normally.",
    );
  }
  if (report.problems && report.problems.length > 0) {
    return failWith(`The module's exports break the contract:\n${report.problems.map((problem) => `- ${problem}`).join("\n")}`);
  }
  if (!report.ok) return failWith(describeRunnerFailure(report, mapper));
  if (!jobSucceeded(result)) return failWith(`The sandbox run exited with code ${result.exitCode ?? "none"} instead of 0.`);

  const expectsTest = options.contract === "tool" || report.exports?.hasTest === true;
  if (expectsTest && report.testCompleted !== true) return failWith("test() did not run to completion in the sandbox.");
  if (report.phase !== "done") return failWith(`The sandbox run stopped in its ${report.phase} phase without finishing.`);

  const problems = exportProblems(exports, options);
  if (exports && !sameNames(exports.uses, uses)) {
    problems.push("`uses` at run time is not the literal list the module's source declares");
  }
  if (problems.length > 0)
    return failWith(`The module's exports break the contract:\n${problems.map((problem) => `- ${problem}`).join("\n")}`);
  return { failure: null, exports };
}

function describeRunnerFailure(report: RunnerReport, mapper: PositionMapper): string {
  const error = report.error;
  const what: Record<RunnerReport["phase"], string> = {
    import: "Importing the module failed (code at the top of the module threw)",
    exports: "Reading the module's exports failed",
    test: "test() failed",
    dryrun: "The dry run of the method on a copy of the receiver failed",
    call: "Calling the default export failed",
    done: "The run failed after finishing",
  };
  if (!error) return `${what[report.phase]}, without an error to show.`;
  return `${what[report.phase]}: ${describeError(error, mapper)}`;
}

function describeError(error: RunnerError, mapper: PositionMapper): string {
  const headline = `${error.name}: ${error.message}`.trim();
  const frames = moduleFrames(error.stack ?? "", mapper);
  return frames.length > 0 ? `${headline}\n${frames.join("\n")}` : headline;
}

/** The stack's frames (the runner already dropped its own), with module positions in TypeScript lines. */
function moduleFrames(stack: string, mapper: PositionMapper): string[] {
  return stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 8)
    .map((line) =>
      line.replace(/module\.mjs:(\d+):(\d+)/g, (match, line: string, column: string) => {
        const at = mapper.toSource(Number(line), Math.max(0, Number(column) - 1));
        return at.mapped ? `module.ts:${at.line}:${at.column}` : match;
      }),
    );
}

/** Appends what the module printed (stderr, then its own stdout) when there is any. */
function withOutput(text: string, result: JobResult): string {
  const parts = [text];
  const stderr = excerpt(result.stderr);
  if (stderr) parts.push(`stderr:\n${stderr}`);
  // Report lines carry a run's token: never echo them (real or forged) back to the model.
  const lines = result.stdout.split("\n");
  const kept = lines.filter((line) => !line.startsWith(REPORT_MARKER));
  const stdout = excerpt(kept.join("\n"));
  if (stdout) parts.push(`stdout:\n${stdout}`);
  if (kept.length < lines.length && result.report === null)
    parts.push(`(stdout also held a ${REPORT_MARKER} line that is not the runner's: it was ignored)`);
  return parts.join("\n");
}

function excerpt(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length <= OUTPUT_EXCERPT_CHARS) return trimmed;
  return `… (${trimmed.length - OUTPUT_EXCERPT_CHARS} characters cut)\n${trimmed.slice(-OUTPUT_EXCERPT_CHARS)}`;
}

// ---------------------------------------------------------------------------- exports, on the host

function readExports(report: RunnerReport): ValidatedExports {
  const reported = report.exports!;
  return {
    name: typeof reported.name === "string" ? reported.name : null,
    description: typeof reported.description === "string" ? reported.description : null,
    schema: isJsonObject(reported.schema) ? reported.schema : null,
    hosts: reported.hosts === undefined || reported.hosts === null ? [] : reported.hosts,
    uses: reported.uses === undefined || reported.uses === null ? [] : reported.uses,
  };
}

function sameNames(reported: unknown, declared: readonly string[]): boolean {
  return (
    Array.isArray(reported) &&
    reported.length === declared.length &&
    reported.every((name, index) => typeof name === "string" && name === declared[index])
  );
}

/** The contract, checked again on the reported JSON (the runner checks it too; this is the host's own word). */
function exportProblems(exports: ValidatedExports | null, options: ValidateCommon): string[] {
  const problems: string[] = [];
  const isTool = options.contract === "tool";
  if (!exports) return ["the runner reported no exports"];
  if (exports.name === null) {
    if (isTool) problems.push("`name` is not exported as a string");
  } else {
    const problem = nameProblem(exports.name);
    if (problem !== null) {
      problems.push(`\`name\` ${JSON.stringify(exports.name)} ${problem}`);
    } else if (options.expectedName !== undefined && exports.name !== options.expectedName) {
      problems.push(`\`name\` is ${JSON.stringify(exports.name)} but must be ${JSON.stringify(options.expectedName)}`);
    }
  }
  if (isTool && (exports.description === null || exports.description.trim() === ""))
    problems.push("`description` is not a non-empty string");
  else if (exports.description !== null && exports.description.length > MAX_DESCRIPTION_CHARS)
    problems.push(
      `\`description\` is ${exports.description.length} characters, more than ${MAX_DESCRIPTION_CHARS}: say what the tool does in a sentence or two`,
    );
  if (exports.schema === null) {
    if (isTool) problems.push("`schema` is not exported as a JSON object");
  } else {
    problems.push(...schemaProblems(exports.schema));
  }
  problems.push(...hostsProblems(exports.hosts, isTool));
  return problems;
}

/** `hosts`: a tool's list of distinct hosts it calls (none by default); a method reaches nothing. */
function hostsProblems(hosts: unknown, isTool: boolean): string[] {
  if (Array.isArray(hosts) && hosts.length === 0) return [];
  if (!isTool) return ["a method cannot declare `hosts`: only tools reach the world, each host granted by a person"];
  if (!Array.isArray(hosts) || !hosts.every((h) => typeof h === "string")) return ["`hosts` must be an array of host names (strings)"];
  if (hosts.length > MAX_DECLARED_HOSTS)
    return [`\`hosts\` declares ${hosts.length} hosts, more than the ${MAX_DECLARED_HOSTS} a tool may`];
  const problems = hosts.flatMap((host) => {
    const problem = hostProblem(host);
    return problem === null ? [] : [`host ${JSON.stringify(host)} in \`hosts\` ${problem}`];
  });
  if (new Set(hosts).size !== hosts.length) problems.push("`hosts` names a host twice");
  return problems;
}

function schemaProblems(schema: JsonObject): string[] {
  const problems: string[] = [];
  if (schema.type !== "object") problems.push('`schema.type` must be "object"');
  if (schema.properties !== undefined && !(isJsonObject(schema.properties) && Object.values(schema.properties).every(isJsonObject))) {
    problems.push("`schema.properties` must map each property name to a schema object");
  }
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((item) => typeof item === "string"))) {
    problems.push("`schema.required` must be an array of property names");
  }
  return problems;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
