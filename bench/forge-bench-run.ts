/**
 * One problem of the forge benchmark, in a runtime the caller opened: the REAL forge writes, audits,
 * validates, retries and installs the tool; then the problem's hidden tests run against the
 * INSTALLED tool in the sandbox (with the library versions it is pinned to, when it uses any); with
 * `auditRefusals`, the modules the audit refused run again with the audit off to count false
 * refusals. Used by ./forge-bench.ts (HumanEval-X) and ./forge-bench-compose.ts (composites).
 */
import { pathToFileURL } from "node:url";
import { errorMessage } from "../src/errors.js";
import type { ForgeOutcome } from "../src/forge/types.js";
import { validateModule } from "../src/admission/validate.js";
import { summariseUsage } from "../src/personas/usage.js";
import type { Runtime } from "../src/runtime.js";
import type { JobTools, Sandbox } from "../src/sandbox/types.js";
import type { ForgeAttempt, ForgeStage, JsonObject, ToolPin } from "../src/store/types.js";
import { closureOfPins } from "../src/tools/dependencies.js";
import type { LoaderModule } from "../src/tools/loader-template.js";
import { createToolMirror } from "../src/tools/mirror.js";
import { runHiddenTests, adaptInput, type HiddenOutcome } from "./forge-bench-hidden.js";
import type { BenchProblem } from "./forge-bench-problems.js";
import type { AuditRefusal, ProblemOutcome, Stop } from "./forge-bench-report.js";

const stopOfStage: Record<ForgeStage, Stop> = {
  model: "error",
  extract: "extract",
  transpile: "transpile",
  audit: "audit",
  sandbox: "own test",
  install: "install",
};

export function firstLines(text: string | null | undefined, count = 3): string | undefined {
  if (!text) return undefined;
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(0, count)
    .join("\n")
    .slice(0, 600);
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** A problem's outcome, and the pins of the version the forge installed (when it installed one). */
export interface ForgedProblem {
  outcome: ProblemOutcome;
  installed?: { name: string; version: number; uses: ToolPin[] };
}

/** Forges `problem` in `runtime` and grades what it installed (see the top of this file). */
export async function forgeAndGrade(
  runtime: Runtime,
  problem: BenchProblem,
  sandbox: Sandbox,
  options: { auditRefusals: boolean },
): Promise<ForgedProblem> {
  const started = performance.now();
  let forged: ForgeOutcome | null = null;
  let thrown: unknown = null;
  try {
    forged = await runtime.forge.forgeTool({ spec: problem.spec });
  } catch (error) {
    thrown = error;
  }
  const forgeMs = performance.now() - started;
  const run = forged ? await runtime.store.getForgeRun(forged.runId) : ((await runtime.store.listForgeRuns({ limit: 1 }))[0] ?? null);
  const attempts: ForgeAttempt[] = run?.attempts ?? [];
  const usage = summariseUsage(forged?.usage ?? []);
  const base = {
    taskId: problem.taskId,
    tool: problem.toolName,
    modelCalls: attempts.length,
    attempts: attempts.map((a) => `${a.stage} ${a.outcome}`),
    seconds: seconds(forgeMs),
    modelSeconds: seconds(attempts.reduce((sum, a) => sum + (a.durations.model ?? 0), 0)),
    tokens: { prompt: usage.promptTokens, completion: usage.completionTokens },
    auditRefusals: [] as AuditRefusal[],
    answersRemoved: problem.answersRemoved,
    ...(problem.known ? { known: problem.known } : {}),
    ...(run ? { runId: run.id } : {}),
  };
  const failed = (stop: Stop, failure: string | undefined, extra: Partial<ProblemOutcome> = {}): ProblemOutcome => ({
    ...base,
    solved: false,
    stop,
    firstAttempt: false,
    ...(failure ? { failure } : {}),
    ...extra,
  });

  if (thrown !== null || forged === null) return { outcome: failed("error", firstLines(errorMessage(thrown))) };
  try {
    if (options.auditRefusals) base.auditRefusals = await measureAuditRefusals(problem, attempts, sandbox);
    if (forged.status === "reused") return { outcome: failed("error", "the fresh store already had this tool (nothing was forged)") };
    if (forged.status === "failed") {
      const last = attempts.at(-1);
      return { outcome: failed(last ? stopOfStage[last.stage] : "error", firstLines(last?.failure ?? forged.reason)) };
    }
    const graded = await gradeInstalled(runtime, problem, sandbox, forged.name, forged.version);
    const { hidden, installed } = graded;
    const renamed = graded.renamed.length > 0 ? { renamed: graded.renamed } : {};
    const hiddenSeconds = seconds(hidden.ms);
    if (!hidden.passed) return { outcome: failed(hidden.stop, hidden.failure, { hiddenSeconds, ...renamed }), installed };
    return {
      outcome: { ...base, solved: true, stop: "solved", firstAttempt: forged.attempts === 1, hiddenSeconds, ...renamed },
      installed,
    };
  } catch (error) {
    // The sandbox or the store failed after the forge: not the model's answer.
    return { outcome: failed("error", firstLines(`after forging: ${errorMessage(error)}`)) };
  }
}

/**
 * The hidden tests of `problem` against the installed version `name` v`version`, read as the
 * registry runs it, with the library versions it is pinned to; the fields it renamed.
 */
export async function gradeInstalled(
  runtime: Runtime,
  problem: BenchProblem,
  sandbox: Sandbox,
  name: string,
  version: number,
): Promise<{ hidden: HiddenOutcome; renamed: string[]; installed: { name: string; version: number; uses: ToolPin[] } }> {
  const tool = await loadInstalled(runtime, name, version);
  const adapter = adaptInput(problem.params, tool.schema);
  const hidden = await runHiddenTests(sandbox, problem, tool.compiled, tool.schema, name, tool.tools);
  return { hidden, renamed: adapter.ok ? adapter.renamed : [], installed: { name, version, uses: tool.uses } };
}

/**
 * The installed tool as the registry runs it: bound in the live registry, its module read through
 * its loader (sha256-checked), and the library versions it is pinned to (none for most tools).
 */
async function loadInstalled(
  runtime: Runtime,
  name: string,
  version: number,
): Promise<{ compiled: string; schema: JsonObject; uses: ToolPin[]; tools?: JobTools }> {
  const bound = await runtime.registry.get(name);
  if (!bound || bound.version !== version) throw new Error(`${name} v${version} was installed but the registry does not bind it`);
  const stored = await runtime.store.getToolVersion(name, version);
  if (!stored) throw new Error(`${name} v${version} is not in the store`);
  const loaderFile = createToolMirror(runtime.config.dynamicToolsDir).paths(name, version).loader;
  const loader = (await import(pathToFileURL(loaderFile).href)) as LoaderModule;
  if (loader.sha256 !== stored.sha256) throw new Error(`the loader of ${name} v${version} does not match the store`);
  const compiled = await loader.loadModule();
  if (stored.uses.length === 0) return { compiled, schema: stored.schema, uses: [] };
  const closure = await closureOfPins(runtime.store, name, stored.uses);
  if (!closure.ok) throw new Error(`${name} v${version}'s pins cannot be brought into a job: ${closure.problem}`);
  return { compiled, schema: stored.schema, uses: stored.uses, tools: closure.closure.tools };
}

/**
 * Each module the audit refused, validated and hidden-tested with the audit OFF (validateModule's
 * test-only switch, used here and nowhere else): a refused module that passes the hidden tests is
 * a false refusal. Identical modules are measured once.
 */
async function measureAuditRefusals(problem: BenchProblem, attempts: ForgeAttempt[], sandbox: Sandbox): Promise<AuditRefusal[]> {
  const measured = new Map<string, Omit<AuditRefusal, "attempt" | "rules">>();
  const refusals: AuditRefusal[] = [];
  for (const attempt of attempts) {
    if (attempt.stage !== "audit" || attempt.outcome !== "failed" || attempt.code.trim() === "") continue;
    let verdict = measured.get(attempt.code);
    if (!verdict) {
      const validation = await validateModule({
        source: attempt.code,
        contract: "tool",
        expectedName: problem.toolName,
        sandbox,
        audit: false,
      });
      if (validation.compiled === undefined) {
        verdict = {
          ownTestPassed: false,
          falseRefusal: false,
          withoutAudit: `${validation.stage}: ${firstLines(validation.failure, 1) ?? "failed"}`,
        };
      } else {
        const hidden = await runHiddenTests(sandbox, problem, validation.compiled, validation.exports?.schema ?? null, problem.toolName);
        verdict = {
          ownTestPassed: validation.ok,
          falseRefusal: hidden.passed,
          withoutAudit: hidden.passed ? "passes the hidden tests" : `${hidden.stop}: ${firstLines(hidden.failure, 1)}`,
        };
      }
      measured.set(attempt.code, verdict);
    }
    refusals.push({ attempt: attempt.number, rules: [...new Set(attempt.findings.map((f) => f.rule))], ...verdict });
  }
  return refusals;
}

/** Runs `work` over `items`, at most `concurrency` at a time, keeping the order of the results. */
export async function inPool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!, index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
