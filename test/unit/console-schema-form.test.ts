/**
 * The console's try-a-tool form: a field per property of the tool's input schema, and the form's
 * values back as arguments of the types the schema asks for, or the field that is wrong, named.
 */
import { describe, expect, it } from "vitest";
import { argumentsOf, fieldsOf } from "../../console/src/schema-form.js";

const SCHEMA = {
  type: "object",
  properties: {
    text: { type: "string", description: "The text." },
    times: { type: "integer" },
    ratio: { type: "number" },
    loud: { type: "boolean" },
    unit: { type: "string", enum: ["cm", "in"] },
    tags: { type: "array", items: { type: "string" } },
  },
  required: ["text", "times"],
};

describe("fieldsOf", () => {
  it("gives a field per property in order, with its kind, whether it is required, its description and its choices", () => {
    expect(fieldsOf(SCHEMA)).toEqual([
      { name: "text", kind: "string", required: true, description: "The text.", choices: null },
      { name: "times", kind: "integer", required: true, description: "", choices: null },
      { name: "ratio", kind: "number", required: false, description: "", choices: null },
      { name: "loud", kind: "boolean", required: false, description: "", choices: null },
      { name: "unit", kind: "string", required: false, description: "", choices: ["cm", "in"] },
      { name: "tags", kind: "json", required: false, description: "", choices: null },
    ]);
    expect(fieldsOf({ type: "object" })).toEqual([]);
    expect(fieldsOf(null)).toEqual([]);
  });
});

describe("argumentsOf", () => {
  const fields = fieldsOf(SCHEMA);

  it("turns the values into arguments of the schema's types, leaving out optional fields left empty", () => {
    expect(argumentsOf(fields, { text: "a b", times: "3", ratio: "0.5", loud: true, unit: "in", tags: '["x"]' })).toEqual({
      args: { text: "a b", times: 3, ratio: 0.5, loud: true, unit: "in", tags: ["x"] },
    });
    expect(argumentsOf(fields, { text: "", times: "1" })).toEqual({ args: { text: "", times: 1 } });
  });

  it("names the field whose value is not what the schema asks for", () => {
    expect(argumentsOf(fields, { text: "a" })).toEqual({ problem: "times: required" });
    expect(argumentsOf(fields, { text: "a", times: "1.5" })).toEqual({ problem: "times: must be a whole number" });
    expect(argumentsOf(fields, { text: "a", times: "1", ratio: "lots" })).toEqual({ problem: "ratio: must be a number" });
    expect(argumentsOf(fields, { text: "a", times: "1", tags: "[x" })).toMatchObject({
      problem: expect.stringMatching(/^tags: must be JSON/),
    });
    expect(argumentsOf(fields, { text: "a", times: "1", unit: "m" })).toEqual({ problem: "unit: choose one of cm, in" });
  });
});
