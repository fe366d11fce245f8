import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { describe, expect, it } from "vitest";
import { SOURCE_FILE, transpileModule } from "../../src/admission/transpile.js";

describe("transpileModule", () => {
  it("compiles TypeScript into an ES module with the types removed and the exports kept", async () => {
    const result = await transpileModule(
      'import assert from "node:assert/strict";\ninterface In { text: string }\nexport default function f({ text }: In): number {\n  assert.ok(text);\n  return text.length;\n}\n',
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.code).toContain('import assert from "node:assert/strict"');
    expect(result.code).toContain("export {");
    expect(result.code).toContain("f as default");
    expect(result.code).not.toContain("interface");
    expect(result.code).not.toContain(": In");
  });

  it("keeps function names and injects no helper code (keepNames off, no minification)", async () => {
    const result = await transpileModule("export const add = (a: number, b: number) => a + b;\nexport function test() {}\n");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.code).toContain("const add = (a, b) => a + b;");
    expect(result.code).toContain("function test()");
    expect(result.code).not.toContain("__name");
    expect(result.code).not.toContain("defineProperty");
  });

  it("returns a source map that leads compiled positions back to the TypeScript lines", async () => {
    const source = "type A = number;\n\ninterface B { b: A }\n\nexport const value: A = 41 + 1;\n";
    const result = await transpileModule(source);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const compiledLine = result.code.split("\n").findIndex((line) => line.includes("const value")) + 1;
    const original = originalPositionFor(new TraceMap(result.map), { line: compiledLine, column: 0 });
    expect(original.source).toBe(SOURCE_FILE);
    expect(original.line).toBe(5);
  });

  it("reports a syntax error with its line, column and message", async () => {
    const result = await transpileModule("const ok = 1;\nconst broken: = 2;\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ line: 2, column: 15, message: 'Unexpected "="' });
    expect(result.failure).toContain('line 2, column 15: Unexpected "="');
    expect(result.failure).toContain("    2 | const broken: = 2;");
  });

  it("counts columns in characters, not bytes, on lines with non-ASCII text", async () => {
    const result = await transpileModule('const s = "ééé"; let a: = 1;\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // 'const s = "ééé"; let a: ' is 24 characters: the "=" is the 25th.
    expect(result.errors[0]).toMatchObject({ line: 1, column: 25 });
  });

  it("refuses what strict mode forbids (a with statement) at its line", async () => {
    const result = await transpileModule("export function f(o: object) {\n  with (o) {}\n}\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]!.line).toBe(2);
    expect(result.failure).toMatch(/With statements cannot be used/);
  });

  it("lists each compiler error with its line", async () => {
    const result = await transpileModule("let a = 1;\nlet a = 2;\nlet b = 1;\nlet b = 2;\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.line)).toEqual([2, 4]);
    expect(result.failure).toContain("(2 errors)");
    expect(result.failure).toContain("- line 4, column 5:");
  });

  it("spells out at most five errors and counts the rest", async () => {
    const names = ["a", "b", "c", "d", "e", "f", "g"];
    const result = await transpileModule(names.map((n) => `let ${n} = 1;\nlet ${n} = 2;\n`).join(""));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(7);
    expect(result.failure.match(/^- line /gm)).toHaveLength(5);
    expect(result.failure).toContain("… and 2 more");
  });
});
