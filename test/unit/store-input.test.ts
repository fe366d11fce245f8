import { describe, expect, it } from "vitest";
import { InvalidInputError, NotFoundError } from "../../src/errors.js";
import { checkNewMethodVersion, checkNewToolVersion, sha256Hex, verifyArtifact } from "../../src/store/artifact.js";
import { checkSelector, checkToolName, normaliseObjectId } from "../../src/store/ids.js";
import { checkPrototypeList } from "../../src/store/object-input.js";
import { pickRollbackTarget } from "../../src/store/rollback.js";

const code = (compiled: string) => ({ source: compiled, compiled, sha256: sha256Hex(compiled), forgeRunId: null });

describe("store input rules", () => {
  it("normalises UvmObjects/<id> to the bare id and keeps bare ids", () => {
    expect(normaliseObjectId("UvmObjects/system")).toBe("system");
    expect(normaliseObjectId("nil")).toBe("nil");
    expect(normaliseObjectId("a:b.c@d")).toBe("a:b.c@d");
  });

  it("refuses object ids ArangoDB could not store as keys", () => {
    for (const bad of ["", "UvmObjects/", "has space", "a/b", "x".repeat(255), "é"]) {
      expect(() => normaliseObjectId(bad), bad).toThrow(InvalidInputError);
    }
  });

  it("accepts snake_case tool names and selectors only (src/contract.ts)", () => {
    expect(checkToolName("word_count2")).toBe("word_count2");
    for (const bad of ["WordCount", "2words", "word-count", "_x", "", "constructor"])
      expect(() => checkToolName(bad), bad).toThrow(/snake_case/);
    expect(checkSelector("teach_yourself_to_greet")).toBe("teach_yourself_to_greet");
    expect(checkSelector("greet")).toBe("greet");
    for (const bad of ["greet me", "1st", "a.b", "", "doesNotUnderstand", "toString", "__proto__", "constructor"]) {
      expect(() => checkSelector(bad), bad).toThrow(InvalidInputError);
    }
  });

  it("verifies sha256 against the compiled code, case-insensitively, and names both hashes on a mismatch", () => {
    expect(() => verifyArtifact(code("export default 1"), "t")).not.toThrow();
    const upper = { ...code("x"), sha256: sha256Hex("x").toUpperCase() };
    expect(() => verifyArtifact(upper, "t")).not.toThrow();
    const wrong = { ...code("x"), sha256: sha256Hex("y") };
    expect(() => verifyArtifact(wrong, 'tool "t"')).toThrow(
      `tool "t": sha256 "${sha256Hex("y")}" does not match the compiled code (its sha256 is ${sha256Hex("x")})`,
    );
  });

  it("refuses a tool version whose schema is not an object", () => {
    const input = { toolName: "t", description: "d", schema: [] as unknown as Record<string, never>, ...code("x") };
    expect(() => checkNewToolVersion(input)).toThrow(/schema must be a JSON Schema object/);
  });

  it("normalises the object id of a new method version", () => {
    expect(checkNewMethodVersion({ objectId: "UvmObjects/system", selector: "greet", description: "", ...code("x") }).objectId).toBe(
      "system",
    );
  });

  it("refuses a prototype listed twice, counting both id forms as one", () => {
    expect(() => checkPrototypeList("x", ["a", "UvmObjects/a"])).toThrow(/lists prototype "a" twice/);
  });

  it("picks the version before the active one by default, or the named one", () => {
    expect(pickRollbackTarget("t", [1, 2, 3, 4], 4)).toBe(3);
    expect(pickRollbackTarget("t", [1, 2, 3, 4], 2)).toBe(1);
    expect(pickRollbackTarget("t", [1, 2, 3, 4], 2, 4)).toBe(4);
    expect(() => pickRollbackTarget("t", [1, 2], 1)).toThrow(/no version before the active version 1/);
    expect(() => pickRollbackTarget("t", [1, 2], 2, 2)).toThrow(/already the active one/);
    expect(() => pickRollbackTarget("t", [1, 2], 2, 5)).toThrow(NotFoundError);
  });
});
