import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readResults, selectProblems } from "../../bench/forge-bench.js";
import { toBenchProblem } from "../../bench/forge-bench-problems.js";
import {
  renderTable,
  summariseOutcomes,
  TABLE_ROWS,
  type ForgeBenchResult,
  type ProblemOutcome,
  type Stop,
} from "../../bench/forge-bench-report.js";
import { readProblems } from "../../bench/humaneval.js";

function outcome(taskId: string, stop: Stop, extra: Partial<ProblemOutcome> = {}): ProblemOutcome {
  return {
    taskId,
    tool: "t",
    solved: stop === "solved",
    stop,
    firstAttempt: false,
    modelCalls: 1,
    attempts: [],
    seconds: 1,
    modelSeconds: 0.5,
    auditRefusals: [],
    answersRemoved: 0,
    ...extra,
  };
}

function result(model: string, outcomes: ProblemOutcome[], at = "2026-01-01T00:00:00.000Z"): ForgeBenchResult {
  return {
    kind: "forge-bench",
    at,
    model,
    ollamaHost: "http://127.0.0.1:11434",
    maxAttempts: 3,
    concurrency: 1,
    dataset: "humaneval_js.jsonl.gz",
    problems: outcomes.map((o) => o.taskId),
    machine: { cpus: 2, model: "cpu", memoryGiB: 8, node: "v20" },
    sandbox: { runtime: "runsc", poolSize: 2, timeoutMs: 10_000 },
    summary: summariseOutcomes(outcomes),
    outcomes,
  };
}

const refusal = (falseRefusal: boolean) => ({ attempt: 1, rules: ["eval"], ownTestPassed: true, falseRefusal, withoutAudit: "" });

describe("the forge benchmark's counting", () => {
  it("counts solved, first-attempt solves, each stop, renamings, refusals, and the spread of calls and seconds", () => {
    const summary = summariseOutcomes([
      outcome("A", "solved", { firstAttempt: true, seconds: 2 }),
      outcome("B", "solved", { modelCalls: 3, seconds: 10, renamed: ["s"] }),
      outcome("C", "audit", { modelCalls: 3, seconds: 4, auditRefusals: [refusal(true), refusal(false), refusal(true)] }),
      outcome("D", "hidden test", { seconds: 3 }),
    ]);
    expect(summary).toEqual({
      attempted: 4,
      solved: 2,
      passAt1: 0.5,
      solvedFirstAttempt: 1,
      stops: { extract: 0, transpile: 0, audit: 1, "own test": 0, install: 0, interface: 0, "hidden test": 1, error: 0 },
      solvedRenamed: 1,
      modelCalls: { p50: 1, p95: 3, total: 8 },
      seconds: { p50: 3, p95: 10, total: 19 },
      auditRefusals: 3,
      falseRefusals: 2,
    });
  });

  it("puts models side by side, best pass@1 first, and says when they ran different problems", () => {
    const weak = result("weak:1b", [outcome("A", "solved"), outcome("B", "own test")]);
    const strong = result("strong:7b", [outcome("A", "solved"), outcome("B", "solved"), outcome("C", "solved")]);
    const table = renderTable([weak, strong]);
    const header = table.split("\n")[0]!;
    expect(header.indexOf("strong:7b")).toBeLessThan(header.indexOf("weak:1b"));
    expect(table).toMatch(/\| solved \(pass@1\)\s+\| 3\/3 \(100\.0%\)\s+\| 1\/2 \(50\.0%\)\s+\|/);
    expect(table).toMatch(/\| gave up: own test\s+\| 0\s+\| 1\s+\|/);
    expect(table).toContain("these runs cover different problems");
    expect(renderTable([weak])).not.toContain("note:");
  });

  it("--compare reads the newest result of each model, or the files it is given", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "forge-bench-results-"));
    try {
      const write = (name: string, value: ForgeBenchResult) => writeFileSync(path.join(dir, name), JSON.stringify(value));
      write("forge-a-1.json", result("a", [outcome("A", "audit")], "2026-01-01T00:00:00.000Z"));
      write("forge-a-2.json", result("a", [outcome("A", "solved")], "2026-02-01T00:00:00.000Z"));
      write("forge-b-1.json", result("b", [outcome("A", "extract")]));
      writeFileSync(path.join(dir, "humaneval-latest.json"), "{}");
      const newest = readResults(dir, []);
      expect(newest.map((r) => [r.model, r.summary.solved]).sort()).toEqual([
        ["a", 1],
        ["b", 0],
      ]);
      expect(readResults(dir, [path.join(dir, "forge-a-1.json")]).map((r) => r.summary.solved)).toEqual([0]);
      expect(() => readResults(dir, [path.join(dir, "humaneval-latest.json")])).toThrow(/not a forge-bench result/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("picks problems by number or task id, in the dataset's order, then the limit", () => {
    const all = readProblems().map(toBenchProblem);
    expect(selectProblems(all, ["12", "JavaScript/0", "2"], undefined).map((p) => p.taskId)).toEqual([
      "JavaScript/0",
      "JavaScript/2",
      "JavaScript/12",
    ]);
    expect(selectProblems(all, undefined, 3).map((p) => p.taskId)).toEqual(["JavaScript/0", "JavaScript/1", "JavaScript/2"]);
    expect(() => selectProblems(all, ["999"], undefined)).toThrow(/unknown problems: JavaScript\/999/);
  });
});

describe("the forge benchmark's section in docs/benchmarks.md", () => {
  it("explains every row of the table", () => {
    const page = readFileSync(path.resolve(import.meta.dirname, "../../docs/benchmarks.md"), "utf8");
    const section = page.slice(page.indexOf("## Ranking models for the forge"));
    for (const row of TABLE_ROWS) expect(section, row.label).toContain(`| ${row.label} |`);
  });
});
