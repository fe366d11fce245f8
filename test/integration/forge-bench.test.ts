/**
 * `npm run bench:forge` end to end, as a child process: the real forge (a real ChatOllama talking
 * to the scripted Ollama server over sockets), the real audit, the real gVisor sandbox, a fresh
 * store per problem, the hidden tests against the installed tools. Eight problems, one scripted
 * behaviour each, two attempts at most, two at a time:
 *
 *   JavaScript/0  has_close_elements  the canonical solution                       → solved, first attempt
 *   JavaScript/12 longest             async, its field renamed (words for strings)  → solved, first attempt, renamed
 *   JavaScript/2  truncate_number     rounds to one decimal: its own test passes    → installed, failed hidden tests
 *   JavaScript/53 add                 correct, but with eval (twice)                → audit; 2 refusals, both false
 *   JavaScript/23 strlen              wrong, and with eval (twice)                  → audit; 2 refusals, not false
 *   JavaScript/60 sum_to_n            off by one (own test fails), then fixed       → solved on attempt 2
 *   JavaScript/48 is_palindrome       prose, no module (twice)                      → extract
 *   JavaScript/45 triangle_area       three fields for two parameters               → installed, wrong interface
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ForgeBenchResult, ProblemOutcome } from "../../bench/forge-bench-report.js";
import { toolModule, type ToolModuleOptions } from "../../bench/forge-bench-library.js";
import { toBenchProblem } from "../../bench/forge-bench-problems.js";
import { readProblems, type Problem } from "../../bench/humaneval.js";
import { TOOL_SYSTEM_PROMPT } from "../../src/forge/prompt.js";
import { reply } from "./forge-fixtures.js";
import { runBench, userText } from "./forge-bench-fixtures.js";
import { ScriptedOllama, type OllamaChatRequest } from "../support/scripted-ollama.js";
import { describeSandbox } from "../support/sandbox.js";

const MODEL = "forge-bench:scripted";
const problems = readProblems();

function moduleFor(number: number, options: ToolModuleOptions = {}): string {
  const problem = problems[number] as Problem;
  return reply(toolModule(problem, toBenchProblem(problem), options));
}

/** The scripted model: per tool name, its reply on attempt 1, 2, … (the last one repeats). */
const script: Record<string, string[]> = {
  has_close_elements: [moduleFor(0)],
  longest: [moduleFor(12, { fields: ["words"], async: true, test: `assert.equal(await longest_tool({ words: ["a", "bb"] }), "bb");` })],
  truncate_number: [
    moduleFor(2, {
      body: "  return Math.round((number % 1) * 10) / 10;",
      test: "assert.equal(truncate_number_tool({ number: 3.5 }), 0.5);",
    }),
  ],
  add: [moduleFor(53, { body: '  return eval("x + y");', test: "assert.equal(add_tool({ x: 2, y: 3 }), 5);" })],
  strlen: [moduleFor(23, { body: '  return eval("string.length") || 1;', test: 'assert.equal(strlen_tool({ string: "abc" }), 3);' })],
  sum_to_n: [
    moduleFor(60, { body: "  return n * (n - 1) / 2;", test: 'assert.equal(sum_to_n_tool({ n: 5 }), 15, "the sum of 1..5 is 15");' }),
    moduleFor(60, { test: 'assert.equal(sum_to_n_tool({ n: 5 }), 15, "the sum of 1..5 is 15");' }),
  ],
  is_palindrome: ["A palindrome reads the same both ways, so compare the text with its reverse."],
  triangle_area: [
    moduleFor(45, { fields: ["base", "height", "unit"], test: 'assert.equal(triangle_area_tool({ base: 4, height: 2, unit: "cm" }), 4);' }),
  ],
};

/** Which problem a request is for: the spec starts with the tool's name and a colon. */
function toolOf(request: OllamaChatRequest): string | undefined {
  const text = userText(request);
  return Object.keys(script).find((name) => new RegExp(`(^|\\n|")${name}: `).test(text));
}

/** The replies in order per tool (the forge asks again only after the previous attempt failed). */
function responder() {
  const asked = new Map<string, number>();
  return (request: OllamaChatRequest): string => {
    const name = toolOf(request);
    if (!name) return `no script for this request: ${userText(request).slice(0, 80)}`;
    const attempt = asked.get(name) ?? 0;
    asked.set(name, attempt + 1);
    const replies = script[name]!;
    return replies[Math.min(attempt, replies.length - 1)]!;
  };
}

describeSandbox(
  "npm run bench:forge against the scripted Ollama",
  () => {
    let ollama: ScriptedOllama;
    let out: string;
    let run: { code: number | null; stdout: string; stderr: string };
    let result: ForgeBenchResult;
    const outcome = (taskId: string): ProblemOutcome => result.outcomes.find((o) => o.taskId === taskId)!;

    beforeAll(async () => {
      ollama = await ScriptedOllama.start({ respond: responder() });
      out = await mkdtemp(path.join(os.tmpdir(), "toolforge-forge-bench-test-"));
      run = await runBench(
        ["--model", MODEL, "--problems", "0,12,2,53,23,60,48,45", "--attempts", "2", "--concurrency", "2", "--out", out],
        { OLLAMA_HOST: ollama.url, ARANGO_URL: "http://127.0.0.1:1" },
      );
      const files = (await readdir(out)).filter((f) => f.startsWith("forge-"));
      if (run.code !== 0 || files.length !== 1) throw new Error(`the bench failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
      result = JSON.parse(await readFile(path.join(out, files[0]!), "utf8")) as ForgeBenchResult;
    }, 600_000);
    afterAll(async () => {
      await ollama?.close();
      if (out) await rm(out, { recursive: true, force: true });
    });

    it("forges through the real forge: its system prompt, the request as BRICK writes it, one model call per attempt", () => {
      const requests = ollama.chatRequests;
      expect(requests).toHaveLength(12);
      expect(new Set(requests.map((r) => r.model))).toEqual(new Set([MODEL]));
      for (const request of requests) expect(request.messages[0]).toMatchObject({ role: "system", content: TOOL_SYSTEM_PROMPT });
      const first = requests.filter((r) => toolOf(r) === "has_close_elements").map(userText)[0]!;
      expect(first).toContain("has_close_elements: Check if in given list of numbers");
      // The retry prompt carries the failure of the first attempt (sum_to_n's own test).
      const retry = requests.filter((r) => toolOf(r) === "sum_to_n").map(userText)[1]!;
      expect(retry).toContain("the sum of 1..5 is 15");
      expect(first).toContain("Input: {numbers: array of numbers, threshold: number}. Output: boolean.");
      expect(first).toContain("No other tools exist yet."); // a fresh store per problem
    });

    it("never shows the model the hidden tests", () => {
      for (const text of ollama.chatRequests.map(userText)) {
        expect(text).not.toContain("console.assert");
        expect(text).not.toContain("truncateNumber(1.33)");
        expect(text).not.toContain("hasCloseElements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3)");
      }
    });

    it("records where each problem stopped, attempt by attempt", () => {
      expect(outcome("JavaScript/0")).toMatchObject({
        solved: true,
        stop: "solved",
        firstAttempt: true,
        modelCalls: 1,
        attempts: ["install passed"],
      });
      expect(outcome("JavaScript/12")).toMatchObject({ solved: true, stop: "solved", firstAttempt: true, renamed: ["strings"] });
      expect(outcome("JavaScript/2")).toMatchObject({ solved: false, stop: "hidden test", modelCalls: 1, attempts: ["install passed"] });
      expect(outcome("JavaScript/2").failure).toMatch(/assertions failed; the first: .*truncateNumber\(1\.33\)/);
      expect(outcome("JavaScript/53")).toMatchObject({
        solved: false,
        stop: "audit",
        modelCalls: 2,
        attempts: ["audit failed", "audit failed"],
      });
      expect(outcome("JavaScript/23")).toMatchObject({ solved: false, stop: "audit", modelCalls: 2 });
      expect(outcome("JavaScript/60")).toMatchObject({
        solved: true,
        firstAttempt: false,
        modelCalls: 2,
        attempts: ["sandbox failed", "install passed"],
      });
      expect(outcome("JavaScript/48")).toMatchObject({
        solved: false,
        stop: "extract",
        modelCalls: 2,
        attempts: ["extract failed", "extract failed"],
      });
      expect(outcome("JavaScript/45")).toMatchObject({ solved: false, stop: "interface", modelCalls: 1 });
      expect(outcome("JavaScript/45").failure).toContain("do not match the requested (a, h)");
    });

    it("counts the audit's refusals and, with the audit off, which of them were false", () => {
      expect(outcome("JavaScript/53").auditRefusals).toEqual([
        { attempt: 1, rules: ["eval"], ownTestPassed: true, falseRefusal: true, withoutAudit: "passes the hidden tests" },
        { attempt: 2, rules: ["eval"], ownTestPassed: true, falseRefusal: true, withoutAudit: "passes the hidden tests" },
      ]);
      const wrong = outcome("JavaScript/23").auditRefusals;
      expect(wrong.map((r) => [r.falseRefusal, r.ownTestPassed])).toEqual([
        [false, true],
        [false, true],
      ]);
      expect(wrong[0]?.withoutAudit).toMatch(/^hidden test: 1 of 3 assertions failed; the first: strlen\(''\) === 0/);
      for (const id of ["JavaScript/0", "JavaScript/2", "JavaScript/60"]) expect(outcome(id).auditRefusals).toEqual([]);
    });

    it("sums it up in the JSON and the table", () => {
      expect(result).toMatchObject({ kind: "forge-bench", model: MODEL, maxAttempts: 2, concurrency: 2, ollamaHost: ollama.url });
      expect(result.problems).toEqual([
        "JavaScript/0",
        "JavaScript/2",
        "JavaScript/12",
        "JavaScript/23",
        "JavaScript/45",
        "JavaScript/48",
        "JavaScript/53",
        "JavaScript/60",
      ]);
      expect(result.summary).toMatchObject({
        attempted: 8,
        solved: 3,
        passAt1: 0.375,
        solvedFirstAttempt: 2,
        stops: { extract: 1, transpile: 0, audit: 2, "own test": 0, install: 0, interface: 1, "hidden test": 1, error: 0 },
        solvedRenamed: 1,
        modelCalls: { p50: 1, p95: 2, total: 12 },
        auditRefusals: 4,
        falseRefusals: 2,
      });
      expect(run.stdout).toMatch(/\| solved \(pass@1\)\s+\| 3\/8 \(37\.5%\)/);
      expect(run.stdout).toMatch(/\| audit refusals \(false\)\s+\| 4 \(2\)/);
      expect(run.stdout).toContain("FALSE REFUSAL");
    });

    it("--compare prints the stored results side by side", async () => {
      const compared = await runBench(["--compare", "--out", out], {});
      expect(compared.code).toBe(0);
      expect(compared.stdout.split("\n")[0]).toContain(MODEL);
      expect(compared.stdout).toMatch(/\| solved on the first attempt\s+\| 2 /);
    });
  },
  { sandbox: { poolSize: 0 } },
);
