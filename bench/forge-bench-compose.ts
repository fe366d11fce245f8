/**
 * `npm run bench:forge -- --composite`: does the model compose? The library (./forge-bench-composites.ts,
 * LIBRARY: HumanEval-X canonical solutions as tools) is admitted once through the real admission
 * (validated in the sandbox, installed with versions) into a store that each composite problem then
 * gets a fresh copy of. The real forge writes the composite; its hidden tests run against the
 * installed tool with the library versions it is pinned to; and it counts as composed when the
 * installed version's `uses` holds every library tool the problem was meant to build on.
 */
import { cp } from "node:fs/promises";
import path from "node:path";
import { loadConfig, type Env } from "../src/config.js";
import { createRuntime } from "../src/runtime.js";
import type { Sandbox } from "../src/sandbox/types.js";
import { COMPOSITES, compositeProblem, LIBRARY, type Composite } from "./forge-bench-composites.js";
import { toolModule } from "./forge-bench-library.js";
import { toBenchProblem } from "./forge-bench-problems.js";
import type { CompositeOutcome } from "./forge-bench-report.js";
import { forgeAndGrade } from "./forge-bench-run.js";
import { readProblems } from "./humaneval.js";

/** The store's folders under `dir`: what a runtime is opened on. */
function storeEnv(env: Env, dir: string): Env {
  return { ...env, DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "tools") };
}

/** The composites picked by --problems (names, or composite/<name>) and --limit, in COMPOSITES' order; unknown names are returned. */
export function selectComposites(
  wanted: string[] | undefined,
  limit: number | undefined,
  all: Composite[] = COMPOSITES,
): { picked: Composite[]; unknown: string[] } {
  let picked = all;
  let unknown: string[] = [];
  if (wanted && wanted.length > 0) {
    const names = wanted.map((w) => w.replace(/^composite\//, ""));
    unknown = names.filter((name) => !all.some((c) => c.name === name));
    picked = all.filter((c) => names.includes(c.name));
  }
  return { picked: limit === undefined ? picked : picked.slice(0, limit), unknown };
}

/** The library's modules: each LIBRARY tool's HumanEval-X problem, its canonical solution as a tool. */
export function libraryModules(): { file: string; source: string }[] {
  const problems = new Map(readProblems().map((p) => [p.task_id, p]));
  return Object.entries(LIBRARY).map(([name, taskId]) => {
    const problem = problems.get(taskId);
    if (!problem) throw new Error(`the library tool ${name} comes from ${taskId}, which the dataset does not hold`);
    const bench = toBenchProblem(problem);
    if (bench.toolName !== name) throw new Error(`${taskId} makes the tool ${bench.toolName}, not ${name}`);
    return { file: `${taskId}.ts`, source: toolModule(problem, bench) };
  });
}

/** Admits the library through the real admission into the store at `dir`; a refusal is an error (the bench's, not the model's). */
export async function installLibrary(env: Env, sandbox: Sandbox, dir: string): Promise<void> {
  const runtime = await createRuntime(loadConfig(storeEnv(env, dir)), { sandbox });
  try {
    const outcomes = await runtime.admission.addTools(libraryModules(), 2);
    const refused = outcomes.flatMap((o) => (o.status === "refused" ? [`${o.file} at ${o.stage}: ${o.reason.split("\n")[0]}`] : []));
    if (refused.length > 0) throw new Error(`the composite library was refused: ${refused.join("; ")}`);
  } finally {
    await runtime.close();
  }
}

/** One composite: a copy of the library's store, the real forge, the hidden tests, whether it composed. */
export async function benchComposite(
  composite: Composite,
  env: Env,
  sandbox: Sandbox,
  workDir: string,
  libraryDir: string,
): Promise<CompositeOutcome> {
  const dir = path.join(workDir, composite.name);
  await cp(libraryDir, dir, { recursive: true });
  const runtime = await createRuntime(loadConfig(storeEnv(env, dir)), { sandbox });
  try {
    const { outcome, installed } = await forgeAndGrade(runtime, compositeProblem(composite), sandbox, { auditRefusals: false });
    const uses = installed?.uses.map((pin) => pin.name) ?? [];
    return {
      ...outcome,
      intended: [...composite.uses],
      uses: installed?.uses.map((pin) => `${pin.name}@${pin.version}`) ?? [],
      composed: installed !== undefined && composite.uses.every((name) => uses.includes(name)),
    };
  } finally {
    await runtime.close();
  }
}
