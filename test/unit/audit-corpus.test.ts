import { describe, expect, it } from "vitest";
import { isContractRule } from "../../src/admission/audit.js";
import { auditTypeScript, loadHostileCorpus } from "../fixtures/hostile/corpus.js";

const corpus = loadHostileCorpus();

describe("the hostile corpus", () => {
  it("holds at least 25 modules, each with a stated expectation", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    for (const fixture of corpus) expect(fixture.expect.length, fixture.file).toBeGreaterThan(0);
  });

  it("covers every attack family the issue names", () => {
    const rules = new Set(corpus.flatMap((fixture) => fixture.expect.map((e) => e.rule)));
    for (const rule of [
      "constructor-access",
      "global-computed",
      "dynamic-import",
      "module-internals",
      "eval",
      "reflect-proxy",
      "function-constructor",
      "stack-trace-api",
      "builtin-prototype-mutation",
      "proto",
      "webassembly",
      "shared-memory",
      "network",
      "require",
      "import-forbidden",
      "import-meta",
      "symbol-tricks",
      "transpile",
    ]) {
      expect(rules, rule).toContain(rule);
    }
  });

  describe.each(corpus.map((fixture) => [fixture.file, fixture] as const))("%s", (_file, fixture) => {
    it(`is refused with ${fixture.expect.map((e) => `${e.rule} at line ${e.line}`).join(", ")} (${fixture.attack})`, async () => {
      const outcome = await auditTypeScript(fixture.source);
      for (const expected of fixture.expect) {
        if (expected.rule === "transpile") {
          expect(outcome.stage).toBe("transpile");
          if (outcome.stage !== "transpile") continue;
          expect(outcome.errors.map((error) => error.line)).toContain(expected.line);
          continue;
        }
        expect(outcome.stage).toBe("audit");
        if (outcome.stage !== "audit") continue;
        const found = outcome.findings.map((finding) => `${finding.rule} @ ${finding.line}`);
        expect(found).toContain(`${expected.rule} @ ${expected.line}`);
      }
    });

    it("is otherwise a valid module of the contract (the attack is the only problem)", async () => {
      const outcome = await auditTypeScript(fixture.source);
      if (outcome.stage !== "audit") return;
      expect(outcome.findings.filter((finding) => isContractRule(finding.rule))).toEqual([]);
      const attackLines = new Set(fixture.expect.map((e) => e.line));
      const firstAttack = Math.min(...attackLines);
      expect(outcome.findings.filter((finding) => finding.line < firstAttack)).toEqual([]);
    });
  });
});
