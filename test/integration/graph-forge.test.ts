/**
 * TOOL_REQUIRED → the real forge (scripted forge model, real audit, real gVisor sandbox, real
 * store) → the tool is bound on BRICK's very next request → BRICK calls it → the tools node runs it
 * in the sandbox → the answer.
 */
import { describe, expect, it } from "vitest";
import { HumanMessage } from "@langchain/core/messages";
import type { OllamaChatRequest, ScriptedReply } from "../support/scripted-ollama.js";
import { FORGE_MODEL, MODELS, turn, useGraph } from "../support/graph.js";
import { FORGE_NOTE_NAME, type GraphStreamEvent } from "../../src/graph/index.js";

const MODULE = [
  "```typescript",
  'import assert from "node:assert/strict";',
  'export const name = "reverse_words";',
  'export const description = "Reverses the order of the words in a text.";',
  'export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };',
  "export default function reverse_words({ text }: { text: string }): string {",
  '  return text.trim().split(/\\s+/).filter(Boolean).reverse().join(" ");',
  "}",
  "export function test(): void {",
  '  assert.equal(reverse_words({ text: "a b  c" }), "c b a");',
  "}",
  "```",
].join("\n");

const REQUEST = "TOOL_REQUIRED: reverse_words: reverses the order of the words in a text. Input: {text: string}. Output: string.";

function script() {
  return (request: OllamaChatRequest): ScriptedReply | string => {
    if (request.model === FORGE_MODEL) return `Here is the module.\n\n${MODULE}`;
    if (request.model === MODELS.brick) {
      const tool = request.messages.find((m) => m.role === "tool");
      if (tool) return `The words reversed: ${tool.content}.`;
      if (request.tools?.some((t) => t.function.name === "reverse_words")) {
        return { toolCalls: [{ name: "reverse_words", arguments: { text: "alpha beta gamma" } }] };
      }
      return `No tool reverses words yet.\n${REQUEST}`;
    }
    const notes = request.messages.map((m) => m.content).join("\n");
    return request.model === MODELS.alfred
      ? `Answer: ${/The words reversed: ([^.]*)\./.exec(notes)?.[1] ?? "unknown"}`
      : `${request.model} agrees`;
  };
}

describe("a tool forged during a turn", () => {
  const ctx = useGraph({ respond: script(), sandbox: "real" });

  it("is bound on BRICK's next request, called through the sandbox, and its result reaches the answer", async () => {
    const events: GraphStreamEvent[] = [];
    const stream = await ctx.h.graph.stream(turn("Reverse the words 'alpha beta gamma'."), {
      ...ctx.h.thread("forge-1"),
      streamMode: ["custom", "values"],
    });
    let result: Record<string, unknown> = {};
    for await (const [mode, chunk] of stream) {
      if (mode === "custom") events.push(chunk as GraphStreamEvent);
      else result = chunk;
    }

    const bricks = ctx.ollama.chatRequests.filter((r) => r.model === MODELS.brick);
    expect(bricks).toHaveLength(3);
    expect(bricks[0]!.tools ?? []).toEqual([]);
    expect(bricks[1]!.tools?.map((t) => t.function.name)).toEqual(["reverse_words"]);
    expect(bricks[1]!.tools?.[0]?.function.parameters).toMatchObject({ properties: { text: { type: "string" } } });
    // BRICK's second request carries the forge's note that the tool exists.
    expect(bricks[1]!.messages.some((m) => m.role === "user" && /"reverse_words" \(version 1\) was forged/.test(m.content))).toBe(true);
    expect(bricks[2]!.messages.find((m) => m.role === "tool")?.content).toBe("gamma beta alpha");

    expect(result.answer).toBe("Answer: gamma beta alpha");
    expect(result.toolsCreated).toEqual(["reverse_words"]);
    expect(result.toolsUsed).toEqual(["reverse_words"]);
    expect(result.forgeOutcome).toMatchObject({ status: "installed", name: "reverse_words", version: 1, attempts: 1 });
    const note = (result.messages as HumanMessage[]).find((m) => HumanMessage.isInstance(m) && m.name === FORGE_NOTE_NAME);
    expect(String(note?.content)).toContain("It is bound now: call it to continue.");

    // Forge progress and the tool call came through config.writer, in order.
    const types = events.map((e) => e.type);
    expect(types).toEqual(["forge.requested", "forge.started", "forge.attempt", "tool.created", "tool.calling", "tool.result"]);
    expect(events[2]).toMatchObject({ type: "forge.attempt", attempt: 1, outcome: "passed" });
    expect(events[5]).toMatchObject({ type: "tool.result", name: "reverse_words", ok: true });

    expect(await ctx.h.runtime.store.getTool("reverse_words")).toMatchObject({ activeVersion: 1 });
  });

  it("is reused, not forged again, when BRICK asks for it in a later turn", async () => {
    const forgeCalls = ctx.ollama.chatRequests.filter((r) => r.model === FORGE_MODEL).length;
    ctx.ollama.enqueue(`Let me get the tool.\n${REQUEST}`);
    const result = await ctx.h.graph.invoke(turn("Reverse 'one two' please."), ctx.h.thread("forge-2"));
    expect(ctx.ollama.chatRequests.filter((r) => r.model === FORGE_MODEL).length).toBe(forgeCalls);
    expect(result.forgeOutcome).toMatchObject({ status: "reused", name: "reverse_words", version: 1 });
    expect(result.toolsCreated).toEqual([]);
    expect(result.toolsUsed).toEqual(["reverse_words"]);
  });
});
