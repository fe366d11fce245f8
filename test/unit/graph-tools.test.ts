import { describe, expect, it } from "vitest";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { brickRequests, MODELS, scriptBrick, startGraph, turn, useGraph } from "../support/graph.js";

/** A trusted built-in tool: runs in process, so a real registry can call it without a sandbox. */
const wordCount: BuiltinTool = {
  name: "word_count",
  description: "Counts the words in a text.",
  schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
  run: async (args) => String(args.text).trim().split(/\s+/).filter(Boolean).length,
};

describe("BRICK's tool calls", () => {
  const ctx = useGraph({ builtins: [wordCount], checkpointer: false });

  it("round-trips a call: BRICK's message carries it, the result comes back as a tool message in BRICK's next request", async () => {
    ctx.ollama.respondWith(
      scriptBrick((_r, n) =>
        n === 0 ? { toolCalls: [{ name: "word_count", arguments: { text: "one two three four" } }] } : "There are 4 words.",
      ),
    );
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("How many words are in 'one two three four'?"));

    const [first, second] = brickRequests(ctx.ollama, before);
    expect(first!.tools?.map((t) => t.function.name)).toEqual(["word_count"]);
    const assistant = second!.messages.find((m) => m.role === "assistant");
    expect(assistant?.tool_calls?.[0]?.function).toMatchObject({ name: "word_count", arguments: { text: "one two three four" } });
    const tool = second!.messages.find((m) => m.role === "tool");
    expect(tool?.content).toBe("4");

    const call = result.messages.find((m) => AIMessage.isInstance(m) && (m.tool_calls?.length ?? 0) > 0) as AIMessage;
    const answer = result.messages.find((m) => ToolMessage.isInstance(m)) as ToolMessage;
    expect(answer.tool_call_id).toBe(call.tool_calls![0]!.id);
    expect(answer.status).toBe("success");
    expect(result.toolsUsed).toEqual(["word_count"]);
    expect(result.toolRounds).toBe(1);
    expect(result.answer).toBe(`${MODELS.alfred} says ok`);
  });

  it("turns a failing call into a tool message that says what happened", async () => {
    ctx.ollama.respondWith(
      scriptBrick((_r, n) =>
        n === 0 ? { toolCalls: [{ name: "word_count", arguments: { words: 3 } }] } : "The tool refused my arguments.",
      ),
    );
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("count"));
    const toolMessage = result.messages.find((m) => ToolMessage.isInstance(m)) as ToolMessage;
    expect(toolMessage.status).toBe("error");
    expect(String(toolMessage.content)).toMatch(/word_count/);
    expect(String(toolMessage.content)).toMatch(/invalid_arguments/);
    const [, second] = brickRequests(ctx.ollama, before);
    expect(second!.messages.find((m) => m.role === "tool")?.content).toBe(toolMessage.content);
  });

  it("answers an unknown tool's call with a tool message, not a crash", async () => {
    ctx.ollama.respondWith(scriptBrick((_r, n) => (n === 0 ? { toolCalls: [{ name: "no_such_tool", arguments: {} }] } : "No such tool.")));
    const result = await ctx.h.graph.invoke(turn("use a tool that does not exist"));
    const toolMessage = result.messages.find((m) => ToolMessage.isInstance(m)) as ToolMessage;
    expect(toolMessage.status).toBe("error");
    expect(String(toolMessage.content)).toMatch(/unknown_tool/);
    expect(result.answer).toBe(`${MODELS.alfred} says ok`);
  });

  it("stops a model that asks for tools forever at the cap, tells BRICK, and still answers", async () => {
    ctx.ollama.respondWith(scriptBrick(() => ({ toolCalls: [{ name: "word_count", arguments: { text: "again and again" } }] })));
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("loop"), { configurable: { maxToolRounds: 3 } });

    const bricks = brickRequests(ctx.ollama, before);
    // Three rounds, then one call that is told why no more calls are made; the tools stay bound
    // (the same definitions at the front of every prompt keep Ollama's cache), the calls are refused.
    expect(bricks).toHaveLength(4);
    expect(bricks.every((r) => r.tools?.length === 1)).toBe(true);
    expect(bricks[3]!.messages.at(-1)!.content).toMatch(/used all 3 tool rounds allowed this turn: do not call tools now/);
    expect(result.toolRounds).toBe(3);
    // The model asked anyway: the calls were dropped and the turn went on to an answer.
    expect(result.notices.join("\n")).toMatch(/cap of 3 tool rounds/);
    const last = result.messages.filter((m) => AIMessage.isInstance(m) && m.name === "brick").at(-1) as AIMessage;
    expect(last.tool_calls ?? []).toEqual([]);
    expect(result.answer).toBe(`${MODELS.alfred} says ok`);
  });

  it("starts each user turn with fresh counters", async () => {
    ctx.ollama.respondWith(
      scriptBrick((_r, n) => (n % 2 === 0 ? { toolCalls: [{ name: "word_count", arguments: { text: "a b" } }] } : "2 words.")),
    );
    const h2 = await startGraph({ ollama: ctx.ollama, builtins: [wordCount] });
    try {
      const thread = h2.thread("fresh-counters", { maxToolRounds: 1 });
      const first = await h2.graph.invoke(turn("count a b"), thread);
      const second = await h2.graph.invoke(turn("count a b again"), thread);
      expect(first.toolRounds).toBe(1);
      expect(second.toolRounds).toBe(1);
      expect(second.notices).toEqual([]);
      expect(second.toolsUsed).toEqual(["word_count"]);
    } finally {
      await h2.close();
    }
  });
});
