/**
 * `npm run bench:forge -- --model <ollama tag> [--limit N] [--attempts K] [--concurrency C]`
 * How well does the forge forge? Each HumanEval-X problem (JavaScript, 164) becomes the tool request
 * BRICK would write (./forge-bench-problems.ts); the REAL forge (createForge through createRuntime:
 * the same prompts, limits, audit, sandbox validation and install as a chat turn, into a fresh store
 * per problem) writes, audits, validates, retries and installs it; then the problem's canonical
 * hidden tests, never shown to the model, run against the INSTALLED tool in the sandbox
 * (./forge-bench-hidden.ts). Modules the audit refused are run again with the audit off to count
 * false refusals. Prints a table and writes bench/results/forge-<model>-<time>.json.
 *
 * Options:
 *   --model TAG        the Ollama model the forge uses (FORGE_MODEL); OLLAMA_HOST says where Ollama is
 *   --limit N          only the first N problems (of --problems, when given)
 *   --problems LIST    only these problems: 0,12,160 or JavaScript/0,…
 *   --attempts K       the forge's attempt limit (FORGE_MAX_ATTEMPTS; default: the configured one, 3)
 *   --concurrency C    problems forged at once (default 1; more needs OLLAMA_NUM_PARALLEL and sandbox pool room)
 *   --out DIR          where results are written and read (default bench/results)
 *   --compare [FILES]  print results side by side: the given files, or the newest result of each model in --out
 *
 * Exit code: 0 when every problem ran (whatever the model scored), 1 when some problem ended in an
 * error that is not the model's answer (model call or sandbox failed), 2 for bad arguments.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig, type Config, type Env } from "../src/config.js";
import { ConfigError, errorMessage } from "../src/errors.js";
import type { ForgeOutcome } from "../src/forge/types.js";
import { validateModule } from "../src/admission/validate.js";
import { OllamaClient } from "../src/genesis/ollama-client.js";
import { createRuntime, type Runtime } from "../src/runtime.js";
import { createSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/types.js";
import type { ForgeAttempt, ForgeStage, JsonObject } from "../src/store/types.js";
import type { LoaderModule } from "../src/tools/loader-template.js";
import { createToolMirror } from "../src/tools/mirror.js";
import { runHiddenTests, adaptInput } from "./forge-bench-hidden.js";
import { toBenchProblem, type BenchProblem } from "./forge-bench-problems.js";
import {
  renderTable,
  summariseOutcomes,
  type AuditRefusal,
  type ForgeBenchResult,
  type ProblemOutcome,
  type Stop,
} from "./forge-bench-report.js";
import { DATASET, readProblems } from "./humaneval.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = path.join(here, "results");

class UsageError extends Error {}

export interface BenchOptions {
  model: string;
  limit?: number | undefined;
  problems?: string[] | undefined;
  attempts?: number | undefined;
  concurrency: number;
  out: string;
}

const USAGE =
  "usage: npm run bench:forge -- --model <ollama tag> [--limit N] [--problems 0,12,…] [--attempts K] [--concurrency C] [--out DIR]\n" +
  "       npm run bench:forge -- --compare [result.json …] [--out DIR]";

function positiveInteger(name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(
      `--${name} must be a whole number from 1${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** The problems picked by --problems (task ids or their numbers) and --limit, in the dataset's order. */
export function selectProblems(all: BenchProblem[], wanted: string[] | undefined, limit: number | undefined): BenchProblem[] {
  let picked = all;
  if (wanted && wanted.length > 0) {
    const ids = wanted.map((w) => (/^\d+$/.test(w) ? `JavaScript/${w}` : w));
    const unknown = ids.filter((id) => !all.some((p) => p.taskId === id));
    if (unknown.length > 0) throw new UsageError(`unknown problems: ${unknown.join(", ")} (JavaScript/0 … JavaScript/${all.length - 1})`);
    picked = all.filter((p) => ids.includes(p.taskId));
  }
  return limit === undefined ? picked : picked.slice(0, limit);
}

const stopOfStage: Record<ForgeStage, Stop> = {
  model: "error",
  extract: "extract",
  transpile: "transpile",
  audit: "audit",
  sandbox: "own test",
  install: "install",
};

function firstLines(text: string | null | undefined, count = 3): string | undefined {
  if (!text) return undefined;
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(0, count)
    .join("\n")
    .slice(0, 600);
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function forgeEnv(base: Env, options: BenchOptions): Env {
  // A fresh embedded store per problem, whatever the user's setup: never their ArangoDB.
  const env: Env = { ...base, FORGE_MODEL: options.model, ARANGO_URL: "" };
  if (options.attempts !== undefined) env["FORGE_MAX_ATTEMPTS"] = String(options.attempts);
  return env;
}

/** Runs one problem: forge (the real loop), then the hidden tests on the installed tool, then the audit's refusals with the audit off. */
async function benchProblem(problem: BenchProblem, env: Env, sandbox: Sandbox, workDir: string): Promise<ProblemOutcome> {
  const dir = path.join(workDir, problem.taskId.replace(/\W+/g, "_"));
  const config = loadConfig({ ...env, DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "tools") });
  const runtime = await createRuntime(config, { sandbox });
  try {
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
    const base = {
      taskId: problem.taskId,
      tool: problem.toolName,
      modelCalls: attempts.length,
      attempts: attempts.map((a) => `${a.stage} ${a.outcome}`),
      seconds: seconds(forgeMs),
      modelSeconds: seconds(attempts.reduce((sum, a) => sum + (a.durations.model ?? 0), 0)),
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

    if (thrown !== null || forged === null) return failed("error", firstLines(errorMessage(thrown)));
    try {
      base.auditRefusals = await measureAuditRefusals(problem, attempts, sandbox);
      if (forged.status === "reused") return failed("error", "the fresh store already had this tool (nothing was forged)");
      if (forged.status === "failed") {
        const last = attempts.at(-1);
        return failed(last ? stopOfStage[last.stage] : "error", firstLines(last?.failure ?? forged.reason));
      }
      const installed = await loadInstalled(runtime, forged.name, forged.version);
      const adapter = adaptInput(problem.params, installed.schema);
      const renamed = adapter.ok && adapter.renamed.length > 0 ? { renamed: adapter.renamed } : {};
      const hidden = await runHiddenTests(sandbox, problem, installed.compiled, installed.schema, forged.name);
      const hiddenSeconds = seconds(hidden.ms);
      if (!hidden.passed) return failed(hidden.stop, hidden.failure, { hiddenSeconds, ...renamed });
      return { ...base, solved: true, stop: "solved", firstAttempt: forged.attempts === 1, hiddenSeconds, ...renamed };
    } catch (error) {
      // The sandbox or the store failed after the forge: not the model's answer.
      return failed("error", firstLines(`after forging: ${errorMessage(error)}`));
    }
  } finally {
    await runtime.close();
  }
}

/** The installed tool as the registry runs it: bound in the live registry, its module read through its loader (sha256-checked). */
async function loadInstalled(runtime: Runtime, name: string, version: number): Promise<{ compiled: string; schema: JsonObject }> {
  const bound = await runtime.registry.get(name);
  if (!bound || bound.version !== version) throw new Error(`${name} v${version} was installed but the registry does not bind it`);
  const stored = await runtime.store.getToolVersion(name, version);
  if (!stored) throw new Error(`${name} v${version} is not in the store`);
  const loaderFile = createToolMirror(runtime.config.dynamicToolsDir).paths(name, version).loader;
  const loader = (await import(pathToFileURL(loaderFile).href)) as LoaderModule;
  if (loader.sha256 !== stored.sha256) throw new Error(`the loader of ${name} v${version} does not match the store`);
  return { compiled: await loader.loadModule(), schema: stored.schema };
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
async function inPool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!, index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.toString().replace(/\/$/, "");
}

export async function runBench(options: BenchOptions, baseEnv: Env = process.env): Promise<{ result: ForgeBenchResult; file: string }> {
  const env = forgeEnv(baseEnv, options);
  const config: Config = loadConfig(env);
  const ollama = new OllamaClient(config.ollamaHost);
  if ((await ollama.show(options.model)) === null) {
    throw new UsageError(
      `Ollama at ${config.ollamaHost} does not have the model ${options.model}: ollama pull ${options.model} (or set OLLAMA_HOST)`,
    );
  }
  const problems = selectProblems(readProblems().map(toBenchProblem), options.problems, options.limit);
  process.stderr.write(
    `forge bench: ${problems.length} problems, model ${options.model} at ${withoutCredentials(config.ollamaHost)}, ` +
      `at most ${config.forgeMaxAttempts} attempts each, ${options.concurrency} at a time\n`,
  );
  const sandbox = await createSandbox(config);
  const workDir = await mkdtemp(path.join(os.tmpdir(), "toolforge-forge-bench-"));
  let outcomes: ProblemOutcome[];
  try {
    outcomes = await inPool(problems, options.concurrency, async (problem, index) => {
      const outcome = await benchProblem(problem, env, sandbox, workDir);
      const tail = outcome.solved ? "solved" : `${outcome.stop}${outcome.failure ? `: ${oneLine(outcome.failure)}` : ""}`;
      process.stderr.write(
        `[${index + 1}/${problems.length}] ${problem.taskId} ${problem.toolName}: ${tail} (${outcome.modelCalls} call${outcome.modelCalls === 1 ? "" : "s"}, ${outcome.seconds} s)\n`,
      );
      return outcome;
    });
  } finally {
    await sandbox.close();
    await rm(workDir, { recursive: true, force: true });
  }

  const result: ForgeBenchResult = {
    kind: "forge-bench",
    at: new Date().toISOString(),
    model: options.model,
    ollamaHost: withoutCredentials(config.ollamaHost),
    maxAttempts: config.forgeMaxAttempts,
    concurrency: options.concurrency,
    dataset: path.basename(DATASET),
    problems: problems.map((p) => p.taskId),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? "",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    sandbox: { runtime: config.sandbox.runtime, poolSize: config.sandbox.poolSize, timeoutMs: config.sandbox.timeoutMs },
    summary: summariseOutcomes(outcomes),
    outcomes,
  };
  mkdirSync(options.out, { recursive: true });
  const file = path.join(options.out, `forge-${options.model.replace(/[^\w.-]+/g, "_")}-${result.at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  return { result, file };
}

/** Reads forge-bench results: the given files, or the newest one per model in `dir`. */
export function readResults(dir: string, files: string[]): ForgeBenchResult[] {
  const read = (file: string) => {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<ForgeBenchResult>;
    if (parsed.kind !== "forge-bench") throw new UsageError(`${file} is not a forge-bench result`);
    return parsed as ForgeBenchResult;
  };
  if (files.length > 0) return files.map(read);
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => /^forge-.+\.json$/.test(f));
  } catch {
    names = [];
  }
  const newest = new Map<string, ForgeBenchResult>();
  for (const name of names) {
    const result = read(path.join(dir, name));
    const current = newest.get(result.model);
    if (!current || current.at < result.at) newest.set(result.model, result);
  }
  if (newest.size === 0) throw new UsageError(`no forge-bench results in ${dir}: run npm run bench:forge -- --model <tag> first`);
  return [...newest.values()];
}

/** A failure on one line: its first two lines (the audit's headline and first finding), cut short. */
function oneLine(failure: string | undefined): string {
  if (!failure) return "";
  const text = failure
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(0, 2)
    .map((l) => l.trim())
    .join(" ");
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function failureList(result: ForgeBenchResult): string {
  const lines: string[] = [];
  for (const o of result.outcomes.filter((x) => !x.solved)) {
    lines.push(`  ${o.taskId} ${o.tool}: ${o.stop}${o.failure ? ` — ${oneLine(o.failure)}` : ""}${o.known ? ` (known: ${o.known})` : ""}`);
  }
  for (const o of result.outcomes) {
    for (const r of o.auditRefusals) {
      lines.push(
        `  audit refusal ${o.taskId} attempt ${r.attempt} [${r.rules.join(", ")}]: with the audit off ${r.withoutAudit}${r.falseRefusal ? " — FALSE REFUSAL" : ""}`,
      );
    }
  }
  return lines.length > 0 ? `\n${lines.join("\n")}` : "";
}

export async function main(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: "string" },
        limit: { type: "string" },
        problems: { type: "string" },
        attempts: { type: "string" },
        concurrency: { type: "string" },
        out: { type: "string" },
        compare: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${errorMessage(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const out = path.resolve(values.out ?? DEFAULT_OUT);
  try {
    if (values.compare) {
      console.log(renderTable(readResults(out, positionals)));
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(" ")}`);
    if (!values.model) throw new UsageError("--model is required");
    const options: BenchOptions = {
      model: values.model,
      limit: positiveInteger("limit", values.limit),
      problems: values.problems
        ?.split(",")
        .map((p) => p.trim())
        .filter(Boolean),
      attempts: positiveInteger("attempts", values.attempts, 10), // FORGE_MAX_ATTEMPTS' range
      concurrency: positiveInteger("concurrency", values.concurrency) ?? 1,
      out,
    };
    const { result, file } = await runBench(options);
    console.log(renderTable([result]) + failureList(result));
    const relative = path.relative(process.cwd(), file);
    console.log(`\nwritten: ${relative.startsWith("..") ? file : relative}`);
    return result.summary.stops.error > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    // Ollama or the sandbox is not there: say so (the typed errors carry what to do) rather than a stack.
    console.error(`forge bench: ${errorMessage(error)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
