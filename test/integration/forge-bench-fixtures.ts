/**
 * Forged modules for HumanEval-X problems, as a model would answer the forge benchmark's request:
 * the dataset's canonical solution (or a variant) wrapped in the forged-module contract, its input
 * fields named after the declaration's parameters (or renamed), with an own test() that passes;
 * and `npm run bench:forge` run as a child process.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import type { Problem } from "../../bench/humaneval.js";
import type { BenchProblem } from "../../bench/forge-bench-problems.js";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface ModuleOptions {
  /** The function's body (without its closing brace) instead of the canonical solution. */
  body?: string;
  /** Property names instead of the parameters' (same order). */
  fields?: string[];
  /** The default export (and test()) are async. */
  async?: boolean;
  /** Statements of test(); the default export is \`<tool name>_tool\` (default: a check that it is a function). */
  test?: string;
}

/** A forged module of the contract around `problem`'s solution. */
export function solutionModule(problem: Problem, bench: BenchProblem, options: ModuleOptions = {}): string {
  const fields = options.fields ?? bench.params;
  const properties = fields.map((f) => `    ${f}: { description: "the ${f} argument" },`).join("\n");
  const body = options.body ?? problem.canonical_solution.trimEnd().replace(/}\s*$/, "");
  return `import assert from "node:assert/strict";

export const name = "${bench.toolName}";
export const description = "Solves ${bench.taskId}.";
export const schema = {
  type: "object",
  properties: {
${properties}
  },
  required: ${JSON.stringify(fields)},
};

${bench.helperCode}

const ${bench.entryPoint} = (${bench.params.join(", ")}): any => {
${body.trimEnd()}
};

export default ${options.async ? "async " : ""}function ${bench.toolName}_tool({ ${fields.join(", ")} }: any): any {
  return ${bench.entryPoint}(${fields.join(", ")});
}

export ${options.async ? "async " : ""}function test(): ${options.async ? "Promise<void>" : "void"} {
  ${options.test ?? `assert.equal(typeof ${bench.toolName}_tool, "function");`}
}
`;
}

/** The user messages of a request to the model, joined. */
export function userText(request: OllamaChatRequest): string {
  return request.messages
    .filter((m) => m.role === "user")
    .map((m) => m.content)
    .join("\n");
}

/** `npm run bench:forge -- ARGS` as a child process, with `env` (and the test's SANDBOX_* and DOCKER_HOST). */
export function runBench(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  for (const [name, value] of Object.entries(process.env))
    if (name.startsWith("SANDBOX_") || name === "DOCKER_HOST") childEnv[name] = value;
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "forge-bench.ts"), ...args], {
    cwd: ROOT,
    env: childEnv,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
