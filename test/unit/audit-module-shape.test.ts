/**
 * The module's shape at the audit: every spelling of the builtin assert import is the one import
 * allowed, and CommonJS gets one clear finding with the expected shape instead of a finding per
 * missing export, while what CommonJS code does that is hostile is still refused.
 */
import { describe, expect, it } from "vitest";
import { formatFindings, hasSecurityFindings, type AuditOptions } from "../../src/admission/audit.js";
import type { AuditFinding } from "../../src/store/types.js";
import { auditTypeScript } from "../fixtures/hostile/corpus.js";
import { ASSERT_IMPORT_FORMS, WORD_COUNT_COMMONJS, wordCountWithAssertImport } from "../fixtures/replies.js";

async function findings(source: string, options: AuditOptions = { contract: "tool" }): Promise<AuditFinding[]> {
  const outcome = await auditTypeScript(source, options);
  if (outcome.stage !== "audit") throw new Error(`did not compile: ${JSON.stringify(outcome.errors)}`);
  return outcome.findings;
}

const at = (list: AuditFinding[]) => list.map((f) => `${f.rule} @ ${f.line}`);

describe("the builtin assert module, however it is imported", () => {
  it.each(ASSERT_IMPORT_FORMS)("accepts %s", async (_label, importLine, equal) => {
    expect(await findings(wordCountWithAssertImport(importLine, equal))).toEqual([]);
  });

  // (An import nothing uses is dropped by the compiler, as TypeScript does: these are used.)
  it.each([
    ['import fs from "node:fs";', "node:fs", "fs"],
    ['import assertPlus from "assert-plus";', "assert-plus", "assertPlus"],
    ['import * as a from "node:assert/strict/extra";', "node:assert/strict/extra", "a"],
  ])("still refuses %s", async (line, specifier, binding) => {
    const source =
      wordCountWithAssertImport(`${line}\nimport assert from "assert";`, (a, b) => `assert.equal(${a}, ${b})`) +
      `export const used = [${binding}];\n`;
    const found = (await findings(source)).filter((f) => f.rule === "import-forbidden");
    expect(at(found)).toEqual(["import-forbidden @ 1"]);
    expect(found[0]?.message).toContain(JSON.stringify(specifier));
    expect(found[0]?.message).toContain('import assert from "node:assert/strict"');
  });

  it("still refuses re-exporting assert (handing the object out)", async () => {
    const source = wordCountWithAssertImport(
      'import assert from "assert";\nexport { strict } from "assert";',
      (a, b) => `assert.equal(${a}, ${b})`,
    );
    expect((await findings(source)).map((f) => f.rule)).toEqual(["imported-binding-mutation"]);
  });
});

describe("CommonJS", () => {
  it("gets one finding that says it is CommonJS, where module.exports is, with the expected shape", async () => {
    const found = await findings(WORD_COUNT_COMMONJS, { contract: "tool", expectedName: "word_count" });
    const exportsLine = WORD_COUNT_COMMONJS.split("\n").findIndex((line) => line.startsWith("module.exports")) + 1;
    expect(at(found)).toEqual([`contract-commonjs @ ${exportsLine}`]);
    expect(found[0]?.message).toMatch(/^this is CommonJS \(`module\.exports = …`\): write an ES module instead/);
    expect(found[0]?.message).toContain('export const name = "word_count";');
    expect(found[0]?.message).toContain("export default function word_count(");
    expect(found[0]?.message).toContain("export function test()");
    expect(hasSecurityFindings(found)).toBe(false);
  });

  it("recognises exports.x and a script that only requires", async () => {
    const exportsStyle = 'const assert = require("node:assert");\nfunction f() { return 1; }\nexports.name = "f";\nexports.default = f;\n';
    expect(at(await findings(exportsStyle))).toEqual(["contract-commonjs @ 3"]);
    const script = 'const assert = require("assert");\nfunction word_count(x) { return 1; }\nfunction test() { assert.ok(true); }\n';
    expect(at(await findings(script))).toEqual(["contract-commonjs @ 1"]);
  });

  it("shows a method's shape for a method", async () => {
    const found = await findings('module.exports = function greet(self) { return "hi"; };\n', {
      contract: "method",
      expectedName: "greet",
    });
    expect(at(found)).toEqual(["contract-commonjs @ 1"]);
    expect(found[0]?.message).toContain("export default function greet(self, ...args)");
  });

  it("still refuses what the CommonJS code does that is hostile", async () => {
    const withChildProcess = WORD_COUNT_COMMONJS.replace(
      'const assert = require("assert");',
      'const assert = require("assert");\nconst cp = require("child_process");',
    );
    const found = await findings(withChildProcess);
    expect(at(found)).toEqual(["require @ 2", "contract-commonjs @ 12"]);
    expect(hasSecurityFindings(found)).toBe(true);

    const loader = 'const cp = module.constructor._load("child_process");\nmodule.exports = { default: () => cp.execSync("id") };\n';
    const rules = at(await findings(loader));
    expect(rules).toContain("constructor-access @ 1");
    expect(rules).toContain("module-internals @ 1");
    expect(rules).toContain("contract-commonjs @ 2");

    const fsRead = 'const fs = require("fs");\nexports.default = () => fs.readFileSync("/etc/passwd", "utf8");\n';
    expect(at(await findings(fsRead))).toEqual(["require @ 1", "contract-commonjs @ 2"]);
  });

  it("leaves an ES module that also requires to the ordinary rules", async () => {
    const mixed = wordCountWithAssertImport(
      'import assert from "node:assert/strict";\nconst extra = require("assert");',
      (a, b) => `assert.equal(${a}, ${b})`,
    );
    expect(at(await findings(mixed))).toEqual(["require @ 2"]);
  });

  it("is explained to the model as a question of shape, with the module to write", async () => {
    const found = await findings(WORD_COUNT_COMMONJS, { contract: "tool", expectedName: "word_count" });
    const text = formatFindings(found, WORD_COUNT_COMMONJS);
    expect(text).toContain("The static audit refused the module (1 finding). Give it the shape the contract asks for:");
    expect(text).toContain("[contract-commonjs]: this is CommonJS");
    expect(text).toContain("| module.exports = {");
    expect(text).toContain('```typescript\nimport assert from "node:assert/strict";');
  });
});
