/**
 * validateModule's stages and its verdict on sandbox results, with a scripted sandbox that records
 * the jobs it is given and answers with a prepared JobResult (the real gVisor runs are in
 * test/integration/validate-sandbox.test.ts).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { transpileModule } from "../../src/admission/transpile.js";
import { validateModule, type ValidateOptions } from "../../src/admission/validate.js";
import { MAX_SOURCE_CHARS } from "../../src/contract.js";
import { extractModule } from "../../src/forge/extract.js";
import type { JobResult, RunnerReport, Sandbox, SandboxJob } from "../../src/sandbox/types.js";

const MODULES = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/modules");
const WORD_COUNT = readFileSync(path.join(MODULES, "good-word-count.ts"), "utf8");
const TOKEN_LINE = "TOOLFORGE_REPORT 9f8e7d6c5b4a39281706f5e4d3c2b1a0 {}";

const GOOD_EXPORTS = {
  name: "word_count",
  description: "Counts the words in a text.",
  schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  hasDefault: true,
  defaultArity: 1,
  hasTest: true,
};

function report(overrides: Partial<RunnerReport> = {}): RunnerReport {
  return { ok: true, phase: "done", exports: GOOD_EXPORTS, testCompleted: true, ...overrides };
}

function jobResult(overrides: Partial<JobResult> = {}): JobResult {
  return {
    exitCode: 0,
    timedOut: false,
    oomKilled: false,
    aborted: false,
    durationMs: 12,
    stdout: `${TOKEN_LINE}\n`,
    stderr: "",
    stdoutTruncated: false,
    stderrTruncated: false,
    report: report(),
    ...overrides,
  };
}

/** A sandbox that answers every job with `result` and remembers the jobs. */
function scriptedSandbox(result: JobResult = jobResult()): Sandbox & { jobs: SandboxJob[] } {
  const jobs: SandboxJob[] = [];
  return {
    jobs,
    async run(job) {
      jobs.push(job);
      return result;
    },
    async close() {},
  };
}

/** The 1-based line of the compiled word_count module that contains `text`. */
async function compiledLineOf(text: string): Promise<number> {
  const compiled = await transpileModule(WORD_COUNT);
  if (!compiled.ok) throw new Error(compiled.failure);
  return compiled.code.split("\n").findIndex((line) => line.includes(text)) + 1;
}

const validate = (sandbox: Sandbox, options: Partial<ValidateOptions> = {}) =>
  validateModule({ source: WORD_COUNT, contract: "tool", sandbox, ...options });

describe("validateModule stages before the sandbox", () => {
  it("validates the module the forge extracted from a reply", async () => {
    const sandbox = scriptedSandbox();
    const extracted = extractModule(`Here:\n\`\`\`ts\n${WORD_COUNT}\`\`\``);
    expect(extracted.ok).toBe(true);
    const result = await validateModule({ source: extracted.ok ? extracted.code : "", contract: "tool", sandbox });
    expect(result).toMatchObject({ ok: true, stage: "passed", code: WORD_COUNT });
  });

  it("fails at transpile with the line and column of a syntax error", async () => {
    const sandbox = scriptedSandbox();
    const result = await validate(sandbox, { source: "export const name = ;\n" });
    expect(result).toMatchObject({ ok: false, stage: "transpile" });
    expect(result.failure).toContain("line 1, column 21");
    expect(sandbox.jobs).toEqual([]);
  });

  it("refuses an oversized module before compiling it", async () => {
    const result = await validate(scriptedSandbox(), { source: `// ${"x".repeat(MAX_SOURCE_CHARS)}\n` });
    expect(result).toMatchObject({ ok: false, stage: "transpile" });
    expect(result.failure).toContain("over the");
  });

  it("fails at audit with each finding's rule, line and column, without touching the sandbox", async () => {
    const sandbox = scriptedSandbox();
    const source = WORD_COUNT.replace("return text.trim()", "return String(process.pid) + text.trim()");
    const result = await validate(sandbox, { source });
    expect(result).toMatchObject({ ok: false, stage: "audit", findings: [expect.objectContaining({ rule: "process", line: 13 })] });
    expect(result.failure).toContain("line 13, column 17 [process]");
    expect(result.compiled).toContain("process.pid");
    expect(sandbox.jobs).toEqual([]);
  });

  it("passes the expected name on to the audit", async () => {
    const result = await validate(scriptedSandbox(), { expectedName: "count_words" });
    expect(result).toMatchObject({ ok: false, stage: "audit", findings: [expect.objectContaining({ rule: "contract-name" })] });
  });

  it("skips the audit only when audit: false is passed (the test-only switch)", async () => {
    const sandbox = scriptedSandbox();
    const source = WORD_COUNT.replace("return text.trim()", "return String(process.pid) + text.trim()");
    const result = await validate(sandbox, { source, audit: false });
    expect(result).toMatchObject({ ok: true, stage: "passed", findings: [] });
    expect(sandbox.jobs).toHaveLength(1);
  });
});

describe("validateModule's sandbox job", () => {
  it("sends the compiled module to be validated under the contract, with the timeout", async () => {
    const sandbox = scriptedSandbox();
    const result = await validate(sandbox, { timeoutMs: 4321 });
    expect(sandbox.jobs).toEqual([{ action: "validate", module: result.compiled, contract: "tool", timeoutMs: 4321 }]);
  });

  it("sends a method's dry run as the job input, and never a tool's", async () => {
    const dryRun = { self: { n: 1 }, args: ["x"], kwargs: {} };
    const method = scriptedSandbox(jobResult({ report: report({ exports: { ...GOOD_EXPORTS, schema: undefined } }) }));
    await validate(method, { contract: "method", dryRun });
    expect(method.jobs[0]).toMatchObject({ contract: "method", input: dryRun });
    const tool = scriptedSandbox();
    await validate(tool, { dryRun });
    expect(tool.jobs[0]).not.toHaveProperty("input");
  });
});

describe("validateModule's verdict on the sandbox run", () => {
  it("passes a clean run, with the exports taken from the report and the sha256 of the compiled code", async () => {
    const result = await validate(scriptedSandbox());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.exports).toEqual({
      name: GOOD_EXPORTS.name,
      description: GOOD_EXPORTS.description,
      schema: GOOD_EXPORTS.schema,
      hosts: [],
      uses: [],
    });
    expect(result.sha256).toBe(createHash("sha256").update(result.compiled).digest("hex"));
    expect(result.failure).toBeNull();
  });

  it.each<[string, Partial<JobResult>, string]>([
    ["a timeout", { timedOut: true, exitCode: null, report: null }, "did not finish within"],
    ["the memory limit", { oomKilled: true, exitCode: null, report: null }, "ran out of memory"],
    [
      "a missing report",
      { report: null, reportProblem: "no report line at the end of stdout" },
      "without a valid report from the runner: no report line",
    ],
    [
      "contract problems",
      { report: report({ ok: false, phase: "exports", problems: ["`test` is not exported as a function"] }) },
      "- `test` is not exported as a function",
    ],
    ["a non-zero exit", { exitCode: 3 }, "exited with code 3"],
    ["an unfinished test", { report: report({ testCompleted: false }) }, "test() did not run to completion"],
    ["a wrong reported name", { report: report({ exports: { ...GOOD_EXPORTS, name: "Word Count" } }) }, "is not snake_case"],
    [
      "an empty description",
      { report: report({ exports: { ...GOOD_EXPORTS, description: " " } }) },
      "`description` is not a non-empty string",
    ],
    [
      "an overlong description",
      { report: report({ exports: { ...GOOD_EXPORTS, description: "Counts words. ".repeat(100) } }) },
      "`description` is 1400 characters, more than 1000: say what the tool does in a sentence or two",
    ],
    [
      "a schema of the wrong type",
      { report: report({ exports: { ...GOOD_EXPORTS, schema: { type: "array" } } }) },
      '`schema.type` must be "object"',
    ],
    [
      "a schema whose required is not a list",
      { report: report({ exports: { ...GOOD_EXPORTS, schema: { type: "object", required: "text" } } }) },
      "`schema.required`",
    ],
  ])("fails on %s, saying so", async (_what, overrides, expected) => {
    const result = await validate(scriptedSandbox(jobResult(overrides)), { timeoutMs: 1000 });
    expect(result).toMatchObject({ ok: false, stage: "sandbox" });
    expect(result.failure).toContain(expected);
    expect(result.sandbox).not.toBeNull();
  });

  it("fails when the name the runner reports is not the expected one", async () => {
    const mismatch = scriptedSandbox(jobResult({ report: report({ exports: { ...GOOD_EXPORTS, name: "other_name" } }) }));
    const refused = await validate(mismatch, { expectedName: "word_count" });
    expect(refused).toMatchObject({ ok: false, stage: "sandbox" });
    expect(refused.failure).toContain('`name` is "other_name" but must be "word_count"');
  });

  it("quotes a failing test's assertion message and maps its stack to the TypeScript lines", async () => {
    const error = {
      name: "AssertionError",
      message: "word_count(a b c) should be 3\n\n2 !== 3\n",
      stack: `AssertionError [ERR_ASSERTION]: word_count(a b c) should be 3\n    at Module.test (module.mjs:${await compiledLineOf("assert.equal(word_count")}:5)`,
    };
    const result = await validate(
      scriptedSandbox(jobResult({ report: report({ ok: false, phase: "test", testCompleted: false, error }) })),
    );
    expect(result).toMatchObject({ ok: false, stage: "sandbox" });
    expect(result.failure).toContain("test() failed: AssertionError: word_count(a b c) should be 3");
    expect(result.failure).toMatch(/at Module\.test \(module\.ts:\d+:\d+\)/);
    const line = Number(/module\.ts:(\d+):/.exec(result.failure!)![1]);
    expect(WORD_COUNT.split("\n")[line - 1]).toContain("assert.equal(word_count");
  });

  it("adds stderr and the module's own output, never a report line with its token", async () => {
    const result = await validate(
      scriptedSandbox(
        jobResult({
          report: report({ ok: false, phase: "import", error: { name: "Error", message: "boom" } }),
          stderr: "warning: something odd\n",
          stdout: `module says hi\n${TOKEN_LINE}\n`,
        }),
      ),
    );
    expect(result.failure).toContain("Importing the module failed (code at the top of the module threw): Error: boom");
    expect(result.failure).toContain("stderr:\nwarning: something odd");
    expect(result.failure).toContain("stdout:\nmodule says hi");
    expect(result.failure).not.toContain("9f8e7d6c5b4a39281706f5e4d3c2b1a0");
  });

  it("lets a method without a test pass, but not a method whose test did not complete", async () => {
    const noTest = { ...GOOD_EXPORTS, name: "greet", schema: undefined, hasTest: false };
    const ok = await validate(scriptedSandbox(jobResult({ report: report({ exports: noTest, testCompleted: false }) })), {
      contract: "method",
    });
    expect(ok).toMatchObject({ ok: true, exports: { name: "greet", schema: null } });
    const withTest = { ...noTest, hasTest: true };
    const refused = await validate(scriptedSandbox(jobResult({ report: report({ exports: withTest, testCompleted: false }) })), {
      contract: "method",
    });
    expect(refused).toMatchObject({ ok: false, stage: "sandbox" });
  });

  it("propagates a sandbox that cannot run instead of blaming the module", async () => {
    const broken: Sandbox = {
      run: async () => {
        throw new Error("docker is gone");
      },
      close: async () => {},
    };
    await expect(validate(broken)).rejects.toThrow("docker is gone");
  });
});
