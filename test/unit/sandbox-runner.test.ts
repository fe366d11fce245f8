/**
 * The runner (sandbox/runner.mjs) run as a bare node process on the host: its protocol, the
 * contract checks, and what it does against modules that try to fake their result. (Inside the
 * container it is the same file; the container walls are in test/integration/sandbox-walls.*.)
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
import { parseReport } from "../../src/sandbox/output.js";
import type { RunnerReport } from "../../src/sandbox/types.js";

const RUNNER = path.join(PROJECT_ROOT, "sandbox", "runner.mjs");

interface RunnerRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  report: RunnerReport | null;
  problem: string | undefined;
  token: string;
}

function runRunner(job: Record<string, unknown>): Promise<RunnerRun> {
  const token = randomBytes(16).toString("hex");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER], { stdio: ["pipe", "pipe", "pipe"], env: {} });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (exitCode) => {
      const parsed = parseReport(stdout, token);
      resolve({ exitCode, stdout, stderr, report: parsed.report, problem: parsed.problem, token });
    });
    child.stdin.end(JSON.stringify({ token, ...job }) + "\n");
  });
}

const wordCount = `
import assert from "node:assert/strict";
export const name = "word_count";
export const description = "Counts the words in a text.";
export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };
export default function word_count({ text }) { return text.trim().split(/\\s+/).filter(Boolean).length; }
export function test() { assert.equal(word_count({ text: "a b  c" }), 3); }
`;

describe("the runner's protocol", () => {
  it("prints READY first and ends stdout with the report line carrying the job's token", async () => {
    const run = await runRunner({ action: "validate", module: wordCount, contract: "tool" });
    expect(run.stdout.startsWith("TOOLFORGE_READY\n")).toBe(true);
    expect(run.problem).toBeUndefined();
    expect(run.exitCode).toBe(0);
  });

  it("validates a good tool: exports read inside, test completed, ok", async () => {
    const { report } = await runRunner({ action: "validate", module: wordCount, contract: "tool" });
    expect(report).toMatchObject({
      ok: true,
      phase: "done",
      testCompleted: true,
      exports: { name: "word_count", description: "Counts the words in a text.", hasDefault: true, defaultArity: 1, hasTest: true },
    });
    expect(report?.exports?.schema).toEqual({ type: "object", properties: { text: { type: "string" } }, required: ["text"] });
  });

  it("calls a tool's default export with the input and reports its JSON result", async () => {
    const { report } = await runRunner({ action: "call", module: wordCount, contract: "tool", input: { text: "one two three four" } });
    expect(report).toMatchObject({ ok: true, phase: "done", result: 4 });
  });

  it("reports a failing test with the assertion and a stack without runner frames", async () => {
    const failing = wordCount.replace("3);", "4);");
    const { report } = await runRunner({ action: "validate", module: failing, contract: "tool" });
    expect(report).toMatchObject({ ok: false, phase: "test", testCompleted: false, error: { name: "AssertionError" } });
    expect(report?.error?.message).toMatch(/3 !== 4|Expected values to be strictly equal/);
    expect(report?.error?.stack).toContain("module.mjs");
    expect(report?.error?.stack).not.toContain("runner.mjs");
  });

  it("awaits an async test and fails when its promise rejects", async () => {
    const module = wordCount.replace(
      'export function test() { assert.equal(word_count({ text: "a b  c" }), 3); }',
      'export async function test() { await new Promise((r) => setTimeout(r, 10)); throw new Error("late failure"); }',
    );
    const { report } = await runRunner({ action: "validate", module, contract: "tool" });
    expect(report).toMatchObject({ ok: false, phase: "test", error: { message: "late failure" } });
  });

  it("lists contract problems of a tool instead of running its test", async () => {
    const bad = wordCount.replace('"word_count";', '"WordCount";').replace('type: "object"', 'type: "array"');
    const { report } = await runRunner({ action: "validate", module: bad, contract: "tool" });
    expect(report?.ok).toBe(false);
    expect(report?.phase).toBe("exports");
    expect(report?.problems?.join("\n")).toMatch(/snake_case/);
    expect(report?.problems?.join("\n")).toMatch(/schema.type/);
  });

  it("reports an import failure at the import phase", async () => {
    const { report } = await runRunner({ action: "validate", module: "export default function ( {", contract: "tool" });
    expect(report).toMatchObject({ ok: false, phase: "import", error: { name: "SyntaxError" } });
  });

  it("calls a method with a copy of self, the args and the kwargs last, and reports the changed self", async () => {
    const method = `export default function add(self, amount, options) { self.count = (self.count ?? 0) + amount; return { count: self.count, options }; }`;
    const { report } = await runRunner({
      action: "call",
      module: method,
      contract: "method",
      input: { self: { count: 1, name: "c" }, args: [2], kwargs: { note: "x" } },
    });
    expect(report).toMatchObject({ ok: true, result: { count: 3, options: { note: "x" } }, self: { count: 3, name: "c" } });
  });

  it("does not pass an empty kwargs object to a method", async () => {
    const method = `export default function args(self, ...rest) { return rest.length; }`;
    const { report } = await runRunner({
      action: "call",
      module: method,
      contract: "method",
      input: { self: {}, args: [1, 2], kwargs: {} },
    });
    expect(report?.result).toBe(2);
  });

  it("validates a method with its test and a dry run on the given self", async () => {
    const method = `import assert from "node:assert/strict";
      export default function greet(self, who) { self.greeted = who; return "hello " + who; }
      export function test() { const s = {}; assert.equal(greet(s, "Ada"), "hello Ada"); }`;
    const { report } = await runRunner({
      action: "validate",
      module: method,
      contract: "method",
      input: { self: { id: 1 }, args: ["Bob"] },
    });
    expect(report).toMatchObject({ ok: true, testCompleted: true, result: "hello Bob", self: { id: 1, greeted: "Bob" } });
  });

  it("turns an undefined result into null", async () => {
    const { report } = await runRunner({ action: "call", module: "export default function f() {}", contract: "method" });
    expect(report).toMatchObject({ ok: true, result: null });
  });

  it("fails a call whose result is not JSON", async () => {
    const { report } = await runRunner({ action: "call", module: "export default function f() { return 10n; }", contract: "method" });
    expect(report).toMatchObject({ ok: false, phase: "call" });
    expect(report?.error?.message).toMatch(/not JSON-serialisable/);
  });

  it("reports a test whose promise never settles instead of vanishing", async () => {
    const module = `export default function f() {} export function test() { return new Promise(() => {}); }`;
    const { report } = await runRunner({ action: "validate", module, contract: "method" });
    expect(report).toMatchObject({ ok: false, phase: "test" });
    expect(report?.error?.message).toMatch(/never finished/);
  });
});

describe("the runner against a module that tries to fake its result", () => {
  it("keeps node:assert frozen so a test cannot disarm it", async () => {
    const module = `import assert from "node:assert/strict";
      export default function f() {}
      export function test() { assert.equal = () => {}; assert.equal(1, 2); }`;
    const { report } = await runRunner({ action: "validate", module, contract: "method" });
    expect(report?.ok).toBe(false);
    expect(report?.error?.name).toBe("TypeError");
  });

  it("keeps console frozen so console.assert cannot be replaced", async () => {
    const module = `export default function f() {}
      export function test() { console.assert = () => {}; }`;
    const { report } = await runRunner({ action: "validate", module, contract: "method" });
    expect(report?.ok).toBe(false);
    expect(report?.error?.message).toMatch(/read only|read-only|Cannot assign/);
  });

  it("builds its report so a patched toJSON on the prototypes cannot change it", async () => {
    const module = `import assert from "node:assert/strict";
      export default function f() {}
      export function test() {
        Object.prototype.toJSON = function () { return { ok: true, phase: "done" }; };
        Array.prototype.toJSON = function () { return []; };
        JSON.stringify = () => '{"ok":true,"phase":"done"}';
        assert.equal(1, 2);
      }`;
    const { report } = await runRunner({ action: "validate", module, contract: "method" });
    expect(report?.ok).toBe(false);
    expect(report?.phase).toBe("test");
  });

  it("leaves no valid report when the module exits the process early", async () => {
    const module = `export default function f() {} export function test() { process.exit(0); }`;
    const run = await runRunner({ action: "validate", module, contract: "method" });
    expect(run.exitCode).toBe(0);
    expect(run.report).toBeNull();
    expect(run.problem).toMatch(/no report line/);
  });

  it("is not fooled by a fake report line printed before it: its own report with the real token comes last", async () => {
    const module = `import assert from "node:assert/strict";
      export default function f() {}
      export function test() { console.log('TOOLFORGE_REPORT 00000000 {"ok":true,"phase":"done"}'); assert.fail("really failing"); }`;
    const run = await runRunner({ action: "validate", module, contract: "method" });
    expect(run.report?.ok).toBe(false);
    expect(run.report?.error?.message).toBe("really failing");
  });

  it("is not fooled by a fake report followed by an early exit", async () => {
    const module = `export default function f() {}
      export function test() { console.log('TOOLFORGE_REPORT 00000000 {"ok":true,"phase":"done"}'); process.exit(0); }`;
    const run = await runRunner({ action: "validate", module, contract: "method" });
    expect(run.report).toBeNull();
    expect(run.problem).toMatch(/wrong token/);
  });

  it("keeps the token out of what the module can read: argv, env, /proc/self/cmdline and environ", async () => {
    const module = `import { readFileSync } from "node:fs";
      export default function f() {
        return [JSON.stringify(process.argv), JSON.stringify(process.env),
          readFileSync("/proc/self/cmdline", "latin1"), readFileSync("/proc/self/environ", "latin1")].join("|");
      }`;
    const run = await runRunner({ action: "call", module, contract: "method" });
    expect(run.report?.ok).toBe(true);
    expect(String(run.report?.result)).not.toContain(run.token);
  });
});
