/** The HumanEval-X → forged-module conversion of bench/humaneval.ts, checked by running the runner on the host. */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readProblems, toForgedModule, entryPointOf, type Problem } from "../../bench/humaneval.js";
import { PROJECT_ROOT } from "../../src/config.js";
import { transpileModule } from "../../src/admission/transpile.js";
import { parseReport } from "../../src/sandbox/output.js";

const problems = readProblems();
const byId = (id: string) => problems.find((p) => p.task_id === id)!;

async function validateOnHost(problem: Problem) {
  const compiled = await transpileModule(toForgedModule(problem).source);
  if (!compiled.ok) throw new Error(compiled.failure);
  const token = randomBytes(16).toString("hex");
  const run = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "sandbox", "runner.mjs")], {
    input: JSON.stringify({ token, action: "validate", contract: "tool", module: compiled.code }) + "\n",
    env: {},
  });
  return parseReport(run.stdout.toString(), token).report;
}

describe("HumanEval-X problems as forged modules", () => {
  it("reads all 164 problems", () => {
    expect(problems).toHaveLength(164);
  });

  it("finds the function each problem asks for, after its helpers", () => {
    expect(entryPointOf(byId("JavaScript/0"))).toBe("hasCloseElements");
    expect(entryPointOf(byId("JavaScript/38"))).toBe("decodeCyclic");
    expect(entryPointOf(byId("JavaScript/32"))).toBe("findZero");
  });

  it("exports our contract and turns console.assert into a throwing check", () => {
    const { source, toolName } = toForgedModule(byId("JavaScript/0"));
    expect(toolName).toBe("humaneval_js_0");
    expect(source).toContain('export const name = "humaneval_js_0";');
    expect(source).toContain("export default function humaneval_js_0({ args }");
    expect(source).toContain("export function test(): void {");
    expect(source).not.toMatch(/console\.assert\s*\(/);
  });

  it("passes the canonical solution's own tests in the runner", async () => {
    const report = await validateOnHost(byId("JavaScript/0"));
    expect(report).toMatchObject({ ok: true, testCompleted: true, exports: { name: "humaneval_js_0" } });
  });

  it("fails a wrong solution: the converted console.assert throws", async () => {
    const problem = byId("JavaScript/0");
    const broken = { ...problem, canonical_solution: "  return false;\n}\n" };
    const report = await validateOnHost(broken);
    expect(report).toMatchObject({ ok: false, phase: "test", error: { name: "AssertionError" } });
  });
});
