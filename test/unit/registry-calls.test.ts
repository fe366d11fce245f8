import { describe, expect, it } from "vitest";
import { ToolMessage } from "@langchain/core/messages";
import { compileArgsSchema } from "../../src/tools/args.js";
import { toLangChainTool } from "../../src/tools/langchain.js";
import { capResult, outcomeFromJob, outcomeText } from "../../src/tools/outcome.js";
import type { JobResult } from "../../src/sandbox/types.js";
import type { ToolCallOutcome } from "../../src/tools/types.js";

const schema = {
  type: "object",
  properties: {
    text: { type: "string" },
    count: { type: "integer" },
    items: { type: "array", items: { type: "object", properties: { id: { type: "string" } }, required: ["id"] } },
    mode: { enum: ["a", "b"] },
  },
  required: ["text"],
  additionalProperties: false,
};

describe("argument checks on the host", () => {
  const check = compileArgsSchema("demo", schema);

  it("accepts arguments that match the schema", () => {
    expect(check({ text: "x", count: 2, items: [{ id: "a" }], mode: "a" })).toEqual({ ok: true });
  });

  it.each([
    [{}, "`text` is required"],
    [{ text: 5 }, "`text` must be string"],
    [{ text: "x", count: 1.5 }, "`count` must be integer"],
    [{ text: "x", items: [{ id: "a" }, {}] }, "`items[1].id` is required"],
    [{ text: "x", extra: 1 }, "`extra` is not an accepted field"],
    [{ text: "x", mode: "c" }, '`mode` must be one of ["a","b"]'],
    ["not an object", "the arguments must be object"],
  ])("names the field and the problem for %j", (args, message) => {
    const result = check(args);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(message);
    expect(result.ok ? "" : result.message).toMatch(/^invalid arguments for demo: /);
  });

  it("refuses a schema that is not a usable JSON Schema", () => {
    expect(() => compileArgsSchema("bad", { type: "object", properties: { a: { type: "no-such-type" } } })).toThrow(
      /not a valid JSON Schema/,
    );
    expect(() => compileArgsSchema("bad", [])).toThrow(/not a JSON Schema object/);
  });

  it("tolerates keywords and formats that model-written schemas often carry", () => {
    const lenient = compileArgsSchema("lenient", {
      type: "object",
      properties: { email: { type: "string", format: "email", example: "a@b.c" } },
    });
    expect(lenient({ email: "not checked as an email" })).toEqual({ ok: true });
  });
});

function job(overrides: Partial<JobResult>): JobResult {
  return {
    exitCode: 0,
    timedOut: false,
    oomKilled: false,
    aborted: false,
    durationMs: 5,
    stdout: "",
    stderr: "",
    stdoutTruncated: false,
    stderrTruncated: false,
    report: { ok: true, phase: "done", result: 3 },
    ...overrides,
  };
}

describe("from a sandbox job to a call outcome", () => {
  it("returns the JSON result of a clean run", () => {
    expect(outcomeFromJob("t", job({}), 1024, 100)).toMatchObject({ ok: true, result: 3 });
  });

  it.each<[string, Partial<JobResult>, string, RegExp]>([
    ["a timeout", { timedOut: true, exitCode: null, report: null }, "timeout", /longer than 250 ms/],
    ["the memory limit", { oomKilled: true, exitCode: 137, report: null }, "memory", /more memory/],
    [
      "a throw",
      { report: { ok: false, phase: "call", error: { name: "RangeError", message: "n must be positive" } } },
      "threw",
      /t threw: RangeError: n must be positive/,
    ],
    ["a missing report", { report: null, reportProblem: "no token line", stderr: "boom\n" }, "sandbox", /no token line.*boom/s],
    ["a non-zero exit after an ok report", { exitCode: 3 }, "sandbox", /exited with code 3/],
  ])("maps %s to its kind with a message for the model", (_what, overrides, kind, message) => {
    const outcome = outcomeFromJob("t", job(overrides), 1024, 250);
    expect(outcome.ok).toBe(false);
    expect(outcome).toMatchObject({ kind });
    expect(outcome.ok ? "" : outcome.error).toMatch(message);
  });

  it("refuses results over the size cap as result_too_large", () => {
    const outcome = capResult("t", "x".repeat(2000), 1024, 1);
    expect(outcome).toMatchObject({ ok: false, kind: "result_too_large" });
    expect(capResult("t", "x".repeat(100), 1024, 1)).toMatchObject({ ok: true, result: "x".repeat(100) });
  });

  it("turns an undefined result into null", () => {
    expect(capResult("t", undefined, 1024, 1)).toMatchObject({ ok: true, result: null });
  });

  it("phrases outcomes as tool-message text", () => {
    expect(outcomeText({ ok: true, result: "plain", durationMs: 1 })).toBe("plain");
    expect(outcomeText({ ok: true, result: { a: 1 }, durationMs: 1 })).toBe('{"a":1}');
    expect(outcomeText({ ok: false, kind: "timeout", error: "too slow", durationMs: 1 })).toBe("ERROR (timeout): too slow");
  });
});

describe("a registry tool as a LangChain tool", () => {
  const calls: { name: string; args: unknown }[] = [];
  const callThrough = async (name: string, args: unknown): Promise<ToolCallOutcome> => {
    calls.push({ name, args });
    const check = compileArgsSchema(name, schema)(args);
    return check.ok
      ? { ok: true, result: { echoed: args } as never, durationMs: 1 }
      : { ok: false, kind: "invalid_arguments", error: check.message, durationMs: 1 };
  };
  const lcTool = toLangChainTool(
    { name: "demo", version: 1, description: "A demo.", schema, origin: "forged", hosts: [], uses: [] },
    callThrough,
  );

  it("keeps the JSON Schema that bindTools sends to the model", () => {
    expect(lcTool.name).toBe("demo");
    expect(lcTool.description).toBe("A demo.");
    expect(lcTool.schema).toEqual(schema);
  });

  it("answers a tool call with a tool message whose artifact is the outcome", async () => {
    const message = await lcTool.invoke({ type: "tool_call", id: "call_1", name: "demo", args: { text: "hi" } });
    expect(message).toBeInstanceOf(ToolMessage);
    expect((message as ToolMessage).tool_call_id).toBe("call_1");
    expect(JSON.parse(String((message as ToolMessage).content))).toEqual({ echoed: { text: "hi" } });
    expect((message as ToolMessage).artifact).toMatchObject({ ok: true });
  });

  it("answers bad arguments with an error tool message naming the field instead of throwing", async () => {
    const message = (await lcTool.invoke({ type: "tool_call", id: "call_2", name: "demo", args: { count: "x" } })) as ToolMessage;
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message.status).toBe("error");
    expect(String(message.content)).toContain("ERROR (invalid_arguments)");
    expect(String(message.content)).toContain("`text` is required");
    expect(calls.at(-1)).toEqual({ name: "demo", args: { count: "x" } });
  });
});
