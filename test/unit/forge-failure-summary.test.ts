/**
 * Why a forge attempt failed, in one line a person reads: the audit's findings named with their
 * lines (from the real audit of a real module), the failing assertion with its line, the compile
 * error, and never the instructions that the failure fed back to the model carries.
 */
import { describe, expect, it } from "vitest";
import { auditModule, formatFindings } from "../../src/admission/audit.js";
import { describeFailedAttempt, summariseFailure } from "../../src/forge/failure-summary.js";
import { transpileModule } from "../../src/admission/transpile.js";
import type { AuditFinding } from "../../src/store/types.js";

async function audited(source: string): Promise<{ findings: AuditFinding[]; failure: string }> {
  const compiled = await transpileModule(source);
  if (!compiled.ok) throw new Error(compiled.failure);
  const findings = auditModule(source, compiled.code, compiled.map, { contract: "tool" });
  return { findings, failure: formatFindings(findings, source) };
}

const HEADER = `export const name = "list_files";
export const description = "Lists files.";
export const schema = { type: "object", properties: { dir: { type: "string" } } };
export function test(): void {}
`;

describe("summariseFailure", () => {
  it("names what the audit refused and the lines, where the text fed back to the model ends at a colon", async () => {
    const { findings, failure } = await audited(`import { readdirSync } from "node:fs";
import { execSync } from "node:child_process";
${HEADER}export default function list_files({ dir }: { dir: string }): string[] {
  return [...readdirSync(dir), String(execSync("ls"))];
}`);
    expect(failure.split("\n")[0]).toMatch(/Rewrite it without these constructs:$/);
    const summary = summariseFailure({ stage: "audit", failure, findings });
    expect(summary.text).toBe("it imports node:fs (line 1) and node:child_process (line 2)");
    expect(describeFailedAttempt(1, { stage: "audit", failure, findings })).toBe(
      "attempt 1 was refused by the audit: it imports node:fs (line 1) and node:child_process (line 2)",
    );
  });

  it("groups one construct used on several lines, and counts what it does not name", async () => {
    const { findings, failure } = await audited(`${HEADER}export default function list_files(): string {
  const a = process.env.A;
  const b = process.env.B;
  return String(eval("1")) + new Function("return 2")() + a + b + fetch + Atomics;
}`);
    const text = summariseFailure({ stage: "audit", failure, findings }).text;
    expect(text).toBe("it uses process (lines 6, 7), eval (line 8), Function (line 8) and fetch (line 8); and 1 more finding");
  });

  it("says what the contract lacks in its own words", async () => {
    const { findings, failure } = await audited(`export const name = "Bad Name";
export const description = "x";
export const schema = { type: "object", properties: {} };
export default function f(): number { return 1; }
export function test(): void {}`);
    expect(summariseFailure({ stage: "audit", failure, findings }).text).toMatch(/^name "Bad Name" .* \(line 1\)$/);
  });

  it("gives a failing test's assertion and the line it failed at, and that position", () => {
    const failure =
      "test() failed: AssertionError: Expected values to be strictly equal:\n\n149 !== 81\n    at Module.test (module.ts:23:10)\nstderr:\nsomething";
    expect(summariseFailure({ stage: "sandbox", failure })).toEqual({
      text: "test() failed: AssertionError: 149 !== 81 (line 23)",
      at: { line: 23, column: 10 },
    });
  });

  it("gives the compile error with its line, and the first sentence only of a failure that goes on to say what to do", () => {
    const compile =
      'The TypeScript does not compile (1 error):\n- line 3, column 5: Expected ";" but found "b"\n    3 | let a b\n      |     ^';
    expect(summariseFailure({ stage: "transpile", failure: compile })).toEqual({
      text: 'The TypeScript does not compile (1 error): Expected ";" but found "b" (line 3)',
      at: { line: 3, column: 5 },
    });
    const timeout =
      "The sandbox run did not finish within 10000 ms and was stopped. Look for an endless loop, or a promise that never settles.";
    expect(summariseFailure({ stage: "sandbox", failure: timeout }).text).toBe(
      "The sandbox run did not finish within 10000 ms and was stopped",
    );
  });

  it("stays one line of bounded length, and says so when no reason was recorded", () => {
    const long = summariseFailure({ stage: "sandbox", failure: `test() failed: Error: ${"x".repeat(1000)}` }).text;
    expect(long.length).toBeLessThanOrEqual(240);
    expect(long).not.toContain("\n");
    expect(summariseFailure({ stage: "install", failure: null }).text).toBe("failed, without a reason recorded");
  });
});
