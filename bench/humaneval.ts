/**
 * `npm run bench:humaneval`: validation at scale on HumanEval-X (JavaScript, 164 problems).
 * Each problem becomes a forged module of our contract — the canonical solution as the default
 * export, its tests inside `test()` with `console.assert` turned into a throwing assertion — and
 * goes through the REAL validator (`validateModule`: transpile, audit, sandbox), once per mode:
 *
 *   cold     SANDBOX_POOL_SIZE=0: a fresh gVisor container per module, one module at a time
 *   pooled   SANDBOX_POOL_SIZE=2: the warm pool, one module at a time
 *   pooled×2 SANDBOX_POOL_SIZE=4: the warm pool, two modules at a time
 *
 * Prints a table and writes bench/results/humaneval-<time>.json and humaneval-latest.json.
 * HUMANEVAL_LIMIT=N takes the first N problems; HUMANEVAL_MODES=cold,pooled picks modes.
 * Problems known to fail under plain node (../shared/data/README.md): JavaScript/112 and /155
 * (buggy canonical solutions) and /162 (needs the npm package js-md5).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { loadConfig } from "../src/config.js";
import { validateModule, type ValidationResult } from "../src/admission/validate.js";
import { createSandbox } from "../src/sandbox/index.js";
import { SandboxPool } from "../src/sandbox/pool.js";
import type { Sandbox } from "../src/sandbox/types.js";
import { formatTable, summarise, type BenchRow } from "./stats.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The data set (a vendored copy of ../shared/data/humaneval_js.jsonl.gz, sha256-checked by a test). */
export const DATASET = process.env["HUMANEVAL_DATA"] ?? path.resolve(here, "../test/fixtures/modules/humaneval/humaneval_js.jsonl.gz");

/** Known failures of the canonical solutions themselves (the dataset's README). */
export const KNOWN_BAD: Record<string, string> = {
  "JavaScript/112": "buggy canonical solution (fails under plain node too)",
  "JavaScript/155": "buggy canonical solution (fails under plain node too)",
  "JavaScript/162": "needs the npm package js-md5 (require), which a forged module may not import",
};

export interface Problem {
  task_id: string;
  prompt: string;
  declaration: string;
  canonical_solution: string;
  test: string;
}

export interface ForgedProblem {
  taskId: string;
  toolName: string;
  entryPoint: string;
  source: string;
}

export function readProblems(file: string = DATASET): Problem[] {
  return gunzipSync(readFileSync(file))
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Problem);
}

/** The function the problem asks for: the last one the declaration opens. */
export function entryPointOf(problem: Problem): string {
  const names = [...problem.declaration.matchAll(/(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=|function\s+([A-Za-z_$][\w$]*)\s*\(/g)].map(
    (match) => match[1] ?? match[2]!,
  );
  const last = names.at(-1);
  if (!last) throw new Error(`${problem.task_id}: no function in its declaration`);
  return last;
}

function firstSentence(prompt: string): string {
  const comment = /\/\*([\s\S]*?)\*\//.exec(prompt)?.[1] ?? "";
  const text = comment.replace(/\s+/g, " ").trim();
  return (text.split(/(?<=\.)\s/)[0] ?? text).slice(0, 160) || "a HumanEval-X problem";
}

/**
 * The problem as a module of our contract. The tests are the dataset's own, run inside `test()`;
 * `console.assert` (which only prints) becomes `expectTrue`, which throws — the runner freezes
 * `console`, so it cannot be patched instead.
 */
export function toForgedModule(problem: Problem): ForgedProblem {
  const number = problem.task_id.split("/")[1];
  const toolName = `humaneval_js_${number}`;
  const entryPoint = entryPointOf(problem);
  const tests = problem.test.replace(/console\.assert\s*\(/g, "expectTrue(");
  const source = `import assert from "node:assert/strict";

export const name = ${JSON.stringify(toolName)};
export const description = ${JSON.stringify(`HumanEval-X ${problem.task_id}: ${firstSentence(problem.prompt)}`)};
export const schema = {
  type: "object",
  properties: { args: { type: "array", description: "the arguments of ${entryPoint}, in order" } },
  required: ["args"],
};

/** console.assert that throws. */
function expectTrue(condition: unknown, ...data: unknown[]): void {
  assert.ok(condition, data.length > 0 ? data.map(String).join(" ") : "console.assert failed");
}

${problem.prompt}${problem.canonical_solution}

export default function ${toolName}({ args }: { args: unknown[] }): unknown {
  return (${entryPoint} as (...values: unknown[]) => unknown)(...args);
}

export function test(): void {
${tests}
}
`;
  return { taskId: problem.task_id, toolName, entryPoint, source };
}

export interface ModuleOutcome {
  taskId: string;
  ok: boolean;
  stage: ValidationResult["stage"];
  ms: number;
  /** First lines of the failure text. */
  failure?: string;
  findings?: { rule: string; line: number; column: number; message: string; code: string }[];
  known?: string;
}

interface ModeSpec {
  label: string;
  poolSize: number;
  concurrency: number;
}

const MODES: ModeSpec[] = [
  { label: "cold", poolSize: 0, concurrency: 1 },
  { label: "pooled", poolSize: 2, concurrency: 1 },
  { label: "pooled×2", poolSize: 4, concurrency: 2 },
];

async function validateAll(forged: ForgedProblem[], sandbox: Sandbox, concurrency: number): Promise<ModuleOutcome[]> {
  const outcomes: ModuleOutcome[] = new Array(forged.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < forged.length; index = next++) {
      const item = forged[index]!;
      const started = performance.now();
      const result = await validateModule({ source: item.source, contract: "tool", expectedName: item.toolName, sandbox });
      outcomes[index] = describe(item, result, performance.now() - started);
      process.stderr.write(result.ok ? "." : "x");
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.stderr.write("\n");
  return outcomes;
}

function describe(item: ForgedProblem, result: ValidationResult, ms: number): ModuleOutcome {
  const outcome: ModuleOutcome = { taskId: item.taskId, ok: result.ok, stage: result.stage, ms: Math.round(ms * 10) / 10 };
  if (!result.ok) outcome.failure = result.failure.split("\n").slice(0, 4).join("\n");
  if (result.findings.length > 0) {
    const lines = item.source.split("\n");
    outcome.findings = result.findings.map((f) => ({ ...f, code: (lines[f.line - 1] ?? "").trim().slice(0, 120) }));
  }
  if (KNOWN_BAD[item.taskId]) outcome.known = KNOWN_BAD[item.taskId];
  return outcome;
}

/**
 * Justifies (or not) each audit refusal: the same module validated with the audit switched off
 * (validateModule's test-only `audit: false`), so the table shows what the refused code would have
 * done in the sandbox. The walls hold either way; this only says whether the refusal was right.
 */
async function runRefusalsWithoutAudit(forged: ForgedProblem[], refusals: ModuleOutcome[]): Promise<{ taskId: string; outcome: string }[]> {
  if (refusals.length === 0) return [];
  const sandbox = await createSandbox(loadConfig({ ...process.env, SANDBOX_POOL_SIZE: "0" }));
  try {
    const results: { taskId: string; outcome: string }[] = [];
    for (const refusal of refusals) {
      const item = forged.find((f) => f.taskId === refusal.taskId)!;
      const result = await validateModule({ source: item.source, contract: "tool", expectedName: item.toolName, sandbox, audit: false });
      results.push({
        taskId: item.taskId,
        outcome: result.ok ? "PASSES: the refusal is a false positive" : `fails too: ${result.failure.split("\n")[0]}`,
      });
    }
    return results;
  } finally {
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const limit = Number(process.env["HUMANEVAL_LIMIT"] ?? Infinity);
  const wanted = process.env["HUMANEVAL_MODES"]?.split(",").map((m) => m.trim());
  const modes = MODES.filter((m) => !wanted || wanted.includes(m.label));
  const problems = readProblems().slice(0, limit);
  const forged = problems.map(toForgedModule);
  const rows: BenchRow[] = [];
  const runs: { mode: string; totalMs: number; poolStats?: unknown; outcomes: ModuleOutcome[] }[] = [];

  for (const mode of modes) {
    const config = loadConfig({ ...process.env, SANDBOX_POOL_SIZE: String(mode.poolSize) });
    const sandbox = await createSandbox(config);
    if (sandbox instanceof SandboxPool) await sandbox.settled();
    process.stderr.write(`humaneval: ${mode.label} (pool ${mode.poolSize}, ${mode.concurrency} at a time) over ${forged.length} modules\n`);
    const started = performance.now();
    let outcomes: ModuleOutcome[];
    try {
      outcomes = await validateAll(forged, sandbox, mode.concurrency);
    } finally {
      await sandbox.close();
    }
    const totalMs = performance.now() - started;
    const poolStats = sandbox instanceof SandboxPool ? sandbox.stats() : undefined;
    const passed = outcomes.filter((o) => o.ok).length;
    const note =
      `${passed}/${outcomes.length} passed; total ${(totalMs / 1000).toFixed(1)} s` +
      (poolStats ? `; warm ${poolStats.warmTakes}, waited ${poolStats.waited}, containers ${poolStats.containersStarted}` : "");
    rows.push(
      summarise(
        "humaneval",
        `validate per module, ${mode.label}`,
        outcomes.map((o) => o.ms),
        note,
      ),
    );
    runs.push({ mode: mode.label, totalMs: Math.round(totalMs), ...(poolStats ? { poolStats } : {}), outcomes });
  }

  const reference = runs[0]?.outcomes ?? [];
  const failures = reference.filter((o) => !o.ok);
  const refusals = failures.filter((o) => o.stage === "audit");
  const unexplained = failures.filter((o) => !o.known && o.stage !== "audit");
  const disagreements = runs
    .slice(1)
    .flatMap((r) =>
      r.outcomes
        .filter((o, i) => o.ok !== reference[i]?.ok)
        .map((o) => `${r.mode}: ${o.taskId} ${o.ok ? "passed" : "failed"} here, not in ${runs[0]!.mode}`),
    );

  const counterfactuals = await runRefusalsWithoutAudit(forged, refusals);

  console.log(formatTable(rows));
  console.log(`\n${reference.length - failures.length} of ${reference.length} passed (${runs[0]?.mode ?? "-"}).`);
  for (const f of failures) {
    console.log(`\n✗ ${f.taskId} [${f.stage}]${f.known ? ` — known: ${f.known}` : ""}\n  ${f.failure?.replace(/\n/g, "\n  ")}`);
  }
  if (refusals.length > 0) {
    console.log(`\naudit refusals (false positives unless the code really does something forbidden):`);
    for (const r of refusals)
      for (const f of r.findings ?? []) console.log(`  ${r.taskId}: ${f.rule} at ${f.line}:${f.column} — ${f.message} — \`${f.code}\``);
  }
  for (const c of counterfactuals) console.log(`  ${c.taskId} with the audit off (sandbox only): ${c.outcome}`);
  if (unexplained.length > 0) console.log(`\nunexplained failures: ${unexplained.map((u) => u.taskId).join(", ")}`);
  for (const d of disagreements) console.log(`mode disagreement: ${d}`);

  const result = {
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? "",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadavg: os.loadavg(),
    },
    dataset: path.basename(DATASET),
    problems: reference.length,
    passed: reference.length - failures.length,
    rows,
    failures,
    auditRefusals: refusals,
    auditRefusalsRunWithoutAudit: counterfactuals,
    unexplained: unexplained.map((u) => u.taskId),
    disagreements,
    runs,
  };
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = result.at.replace(/[:.]/g, "-");
  writeFileSync(path.join(dir, `humaneval-${stamp}.json`), JSON.stringify(result, null, 2) + "\n");
  writeFileSync(path.join(dir, "humaneval-latest.json"), JSON.stringify(result, null, 2) + "\n");
  console.log(`\nwritten: bench/results/humaneval-${stamp}.json`);
  process.exitCode = unexplained.length > 0 || disagreements.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
