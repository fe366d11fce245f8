/**
 * The security rules as families (src/admission/audit/security/): every rule id has a family, and the
 * routes the audit used to miss before it asked one question, "what is the root of this chain?",
 * in one place: writes and run-time keys through a local that holds a builtin or an import, and
 * Object.assign/defineProperty aimed at a member of an import.
 */
import { describe, expect, it } from "vitest";
import { SECURITY_RULES } from "../../src/admission/audit.js";
import { RULE_FAMILIES } from "../../src/admission/audit/security.js";
import { APPENDED_LINE as LINE, judgeAppended as judge } from "../fixtures/hostile/corpus.js";

describe("the security rule families", () => {
  it("give every security rule id a family that reports it (parse and unsupported-syntax belong to audit.ts)", () => {
    const declared = new Set(RULE_FAMILIES.flatMap((family) => family.rules));
    for (const rule of Object.keys(SECURITY_RULES)) {
      if (rule === "parse" || rule === "unsupported-syntax") continue;
      expect(declared, rule).toContain(rule);
    }
    for (const rule of declared) expect(Object.keys(SECURITY_RULES)).toContain(rule);
  });
});

describe("writes through a local that holds something shared (missed before)", () => {
  it.each([
    ["a builtin held in a const", "const M: any = Math;\nM.random = () => 4;", `builtin-prototype-mutation @ ${LINE + 1}:1`],
    [
      "a builtin's prototype held in a const",
      "const P: any = Array.prototype;\nP.first = 1;",
      `builtin-prototype-mutation @ ${LINE + 1}:1`,
    ],
    [
      "a prototype destructured from a builtin",
      "const { prototype: P }: any = Array;\ndelete P.at;",
      `builtin-prototype-mutation @ ${LINE + 1}:8`,
    ],
    ["a builtin assigned later to a let", "let t: any = {};\nt = JSON;\nt.parse = null;", `builtin-prototype-mutation @ ${LINE + 2}:1`],
    [
      "a builtin behind ?: or ||",
      "const pick: any = Date.now() > 0 ? Math : {};\npick.max = 0;",
      `builtin-prototype-mutation @ ${LINE + 1}:1`,
    ],
    ["a builtin through two locals", "const a: any = Math;\nconst b: any = a;\nb.min++;", `builtin-prototype-mutation @ ${LINE + 2}:1`],
    [
      "the imported assert held in a const",
      "const a: any = assert;\na.equal = () => undefined;",
      `imported-binding-mutation @ ${LINE + 1}:1`,
    ],
  ])("refuses %s", async (_what, code, expected) => {
    expect(await judge(code)).toContain(expected);
  });

  it("refuses Object.assign and Object.defineProperty on such a local", async () => {
    expect(await judge("const M: any = Math;\nObject.assign(M, { random: () => 4 });")).toContain(
      `builtin-prototype-mutation @ ${LINE + 1}:8`,
    );
    expect(await judge("const P: any = Array.prototype;\nObject.defineProperty(P, 'x', { value: 1 });")).toContain(
      `builtin-prototype-mutation @ ${LINE + 1}:8`,
    );
  });

  it("refuses Object.assign and Object.defineProperty on a member of an import", async () => {
    expect(await judge("Object.assign(assert.strict, { equal: () => undefined });")).toEqual([`imported-binding-mutation @ ${LINE}:8`]);
    expect(await judge("Object.defineProperty(assert.strict, 'ok', { value: () => undefined });")).toEqual([
      `imported-binding-mutation @ ${LINE}:8`,
    ]);
  });

  it("refuses run-time keys on such a local", async () => {
    expect(await judge("const M: any = Math;\nconst k = String(Date.now());\nconst v = M[k];")).toEqual([
      `global-computed @ ${LINE + 2}:13`,
    ]);
  });

  it("still lets ordinary code read through such locals and write to its own objects", async () => {
    const code = [
      "const { max, floor } = Math;",
      "const slice = Array.prototype.slice;",
      "const m = Math; const top = m.max(1, floor(2.5), max(3, 4));",
      "const made: any = Object.create(null); made.x = 1;",
      "const list: number[] = Array.from([1, 2]); list[0] = 3;",
      "let node: any = { children: [{}] }; node = node.children[0]; node.visited = true;",
      "let best = Number.NEGATIVE_INFINITY; best = Math.max(best, 3);",
      "slice.call([1, 2], 1);",
    ].join("\n");
    expect(await judge(code)).toEqual([]);
  });
});
