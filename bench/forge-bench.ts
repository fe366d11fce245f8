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
 *   --composite        the composite problems instead (./forge-bench-compose.ts): does the model build on
 *                      the library's tools? --problems then takes their names; writes compose-<model>-<time>.json
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
import { OllamaClient } from "../src/genesis/ollama-client.js";
import { createRuntime } from "../src/runtime.js";
import { createSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/types.js";
import { benchComposite, installLibrary, selectComposites } from "./forge-bench-compose.js";
import { COMPOSITES, LIBRARY } from "./forge-bench-composites.js";
import { toBenchProblem, type BenchProblem } from "./forge-bench-problems.js";
import {
  renderComposites,
  renderTable,
  summariseComposites,
  summariseOutcomes,
  type CompositeBenchResult,
  type ForgeBenchResult,
  type ProblemOutcome,
} from "./forge-bench-report.js";
import { forgeAndGrade, inPool } from "./forge-bench-run.js";
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
  /** The composite problems (./forge-bench-composites.ts) instead of HumanEval-X's. */
  composite?: boolean;
}

const USAGE =
  "usage: npm run bench:forge -- --model <ollama tag> [--limit N] [--problems 0,12,…] [--attempts K] [--concurrency C] [--out DIR]\n" +
  "       npm run bench:forge -- --model <ollama tag> --composite [--limit N] [--problems count_primes,…] [--attempts K] [--concurrency C] [--out DIR]\n" +
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

function forgeEnv(base: Env, options: BenchOptions): Env {
  // A fresh embedded store per problem, whatever the user's setup: never their ArangoDB.
  const env: Env = { ...base, FORGE_MODEL: options.model, ARANGO_URL: "" };
  if (options.attempts !== undefined) env["FORGE_MAX_ATTEMPTS"] = String(options.attempts);
  return env;
}

/** Runs one problem in a fresh store: forge (the real loop), hidden tests, the audit's refusals with the audit off. */
async function benchProblem(problem: BenchProblem, env: Env, sandbox: Sandbox, workDir: string): Promise<ProblemOutcome> {
  const dir = path.join(workDir, problem.taskId.replace(/\W+/g, "_"));
  const config = loadConfig({ ...env, DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "tools") });
  const runtime = await createRuntime(config, { sandbox });
  try {
    return (await forgeAndGrade(runtime, problem, sandbox, { auditRefusals: true })).outcome;
  } finally {
    await runtime.close();
  }
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.toString().replace(/\/$/, "");
}

interface Setup {
  env: Env;
  config: Config;
}

/** Checks that Ollama has the model; the configuration every problem starts from. */
async function setUp(options: BenchOptions, baseEnv: Env): Promise<Setup> {
  const env = forgeEnv(baseEnv, options);
  const config: Config = loadConfig(env);
  const ollama = new OllamaClient(config.ollamaHost);
  if ((await ollama.show(options.model)) === null) {
    throw new UsageError(
      `Ollama at ${config.ollamaHost} does not have the model ${options.model}: ollama pull ${options.model} (or set OLLAMA_HOST)`,
    );
  }
  return { env, config };
}

/**
 * Runs `problems` through `work`, `--concurrency` at a time, with one sandbox and a scratch folder
 * (removed afterwards); `prepare` runs first in the same folder. One progress line per problem.
 */
async function runProblems<P extends { taskId: string; toolName: string }, O extends ProblemOutcome>(
  { config }: Setup,
  options: BenchOptions,
  problems: P[],
  work: (problem: P, sandbox: Sandbox, workDir: string) => Promise<O>,
  prepare?: (sandbox: Sandbox, workDir: string) => Promise<void>,
): Promise<O[]> {
  process.stderr.write(
    `forge bench: ${problems.length} ${options.composite ? "composite " : ""}problems, model ${options.model} at ${withoutCredentials(config.ollamaHost)}, ` +
      `at most ${config.forgeMaxAttempts} attempts each, ${options.concurrency} at a time\n`,
  );
  const sandbox = await createSandbox(config);
  const workDir = await mkdtemp(path.join(os.tmpdir(), "toolforge-forge-bench-"));
  try {
    await prepare?.(sandbox, workDir);
    return await inPool(problems, options.concurrency, async (problem, index) => {
      const outcome = await work(problem, sandbox, workDir);
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
}

/** What every result records about the run: when, which model and where, K, the machine, the sandbox. */
function runFacts({ config }: Setup, options: BenchOptions, problems: string[]) {
  return {
    at: new Date().toISOString(),
    model: options.model,
    ollamaHost: withoutCredentials(config.ollamaHost),
    maxAttempts: config.forgeMaxAttempts,
    concurrency: options.concurrency,
    dataset: path.basename(DATASET),
    problems,
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? "",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    sandbox: { runtime: config.sandbox.runtime, poolSize: config.sandbox.poolSize, timeoutMs: config.sandbox.timeoutMs },
  };
}

function writeResult(out: string, prefix: string, result: { model: string; at: string }): string {
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `${prefix}-${result.model.replace(/[^\w.-]+/g, "_")}-${result.at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  return file;
}

export async function runBench(options: BenchOptions, baseEnv: Env = process.env): Promise<{ result: ForgeBenchResult; file: string }> {
  const setup = await setUp(options, baseEnv);
  const problems = selectProblems(readProblems().map(toBenchProblem), options.problems, options.limit);
  const outcomes = await runProblems(setup, options, problems, (problem, sandbox, workDir) =>
    benchProblem(problem, setup.env, sandbox, workDir),
  );
  const result: ForgeBenchResult = {
    kind: "forge-bench",
    ...runFacts(
      setup,
      options,
      problems.map((p) => p.taskId),
    ),
    summary: summariseOutcomes(outcomes),
    outcomes,
  };
  return { result, file: writeResult(options.out, "forge", result) };
}

/** The composite mode (./forge-bench-compose.ts): the library first, then each composite in a copy of its store. */
export async function runCompositeBench(
  options: BenchOptions,
  baseEnv: Env = process.env,
): Promise<{ result: CompositeBenchResult; file: string }> {
  const { picked, unknown } = selectComposites(options.problems, options.limit);
  if (unknown.length > 0) {
    throw new UsageError(`unknown composite problems: ${unknown.join(", ")} (there are: ${COMPOSITES.map((c) => c.name).join(", ")})`);
  }
  const setup = await setUp(options, baseEnv);
  const problems = picked.map((composite) => ({ composite, taskId: `composite/${composite.name}`, toolName: composite.name }));
  const libraryDir = (workDir: string) => path.join(workDir, "library");
  const outcomes = await runProblems(
    setup,
    options,
    problems,
    ({ composite }, sandbox, workDir) => benchComposite(composite, setup.env, sandbox, workDir, libraryDir(workDir)),
    async (sandbox, workDir) => {
      const started = performance.now();
      await installLibrary(setup.env, sandbox, libraryDir(workDir));
      process.stderr.write(
        `library: ${Object.keys(LIBRARY).length} HumanEval-X tools admitted in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
    },
  );
  const result: CompositeBenchResult = {
    kind: "forge-bench-composite",
    ...runFacts(
      setup,
      options,
      problems.map((p) => p.taskId),
    ),
    library: { ...LIBRARY },
    summary: summariseComposites(outcomes),
    outcomes,
  };
  return { result, file: writeResult(options.out, "compose", result) };
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

/** The failures, one a line; then the audit's refusals of `refusalsOf` with their verdict with the audit off. */
function failureList(outcomes: ProblemOutcome[], refusalsOf: ProblemOutcome[]): string {
  const lines: string[] = [];
  for (const o of outcomes.filter((x) => !x.solved)) {
    lines.push(`  ${o.taskId} ${o.tool}: ${o.stop}${o.failure ? ` — ${oneLine(o.failure)}` : ""}${o.known ? ` (known: ${o.known})` : ""}`);
  }
  for (const o of refusalsOf) {
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
        composite: { type: "boolean" },
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
    if (values.compare && values.composite) {
      throw new UsageError("--compare reads HumanEval-X runs only; a composite run's result is its compose-<model>-<time>.json");
    }
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
    const written = (file: string) => {
      const relative = path.relative(process.cwd(), file);
      return `\nwritten: ${relative.startsWith("..") ? file : relative}`;
    };
    if (values.composite) {
      const { result, file } = await runCompositeBench({ ...options, composite: true });
      console.log(renderComposites(result) + failureList(result.outcomes, []) + written(file));
      return result.summary.stops.error > 0 ? 1 : 0;
    }
    const { result, file } = await runBench(options);
    console.log(renderTable([result]) + failureList(result.outcomes, result.outcomes) + written(file));
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
