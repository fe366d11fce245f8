import { describe, expect, it } from "vitest";
import { compileArgsSchema } from "../../src/tools/args.js";

const schema = {
  type: "object",
  properties: {
    text: { type: "string" },
    limit: { type: "number" },
    page: { type: "integer" },
    exact: { type: "boolean" },
    nested: { type: "object", properties: { depth: { type: "integer" } } },
  },
  required: ["text"],
  additionalProperties: false,
};

describe("unambiguous scalars written as strings", () => {
  const check = compileArgsSchema("demo", schema);

  it('coerces "20" for a number, "3" for an integer and "true" for a boolean, in the arguments given', () => {
    const args = { text: "a", limit: "20", page: "3", exact: "true", nested: { depth: "2" } };
    expect(check(args)).toEqual({ ok: true });
    expect(args).toEqual({ text: "a", limit: 20, page: 3, exact: true, nested: { depth: 2 } });
  });

  it.each([
    [{ text: "a", limit: "twenty" }, "`limit` must be number"],
    [{ text: "a", page: "2.5" }, "`page` must be integer"],
    [{ text: "a", limit: null }, "`limit` must be number"],
    [{ text: "a", exact: 1 }, "`exact` must be boolean"],
    [{ text: "a", exact: "yes" }, "`exact` must be boolean"],
    [{ text: 5 }, "`text` must be string"],
  ])("refuses the ambiguous %j with the usual message, leaving the arguments as they were", (args, message) => {
    const before = structuredClone(args);
    const result = check(args);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(message);
    expect(args).toEqual(before);
  });

  it("coerces nothing when another field is wrong", () => {
    const args = { text: "a", limit: "20", extra: 1 };
    expect(check(args).ok).toBe(false);
    expect(args.limit).toBe("20");
  });
});
