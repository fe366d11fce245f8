import { describe, expect, it } from "vitest";
import { AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { BuiltinTool } from "../../src/tools/registry.js";
import type { OllamaChatRequest, ScriptedReply } from "../support/scripted-ollama.js";
import { isPlanRequest, MODELS, turn, useGraph } from "../support/graph.js";

const upper: BuiltinTool = {
  name: "to_upper",
  description: "Upper-cases a text.",
  schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  run: async (args) => String(args.text).toUpperCase(),
};

function script() {
  let brickCalls = 0;
  return (request: OllamaChatRequest): ScriptedReply | string => {
    if (isPlanRequest(request)) return JSON.stringify({ goal: "PLAN-TOKENS", steps: ["s"] });
    if (request.model === MODELS.brick) {
      return brickCalls++ % 2 === 0
        ? { toolCalls: [{ name: "to_upper", arguments: { text: "shout" } }] }
        : { content: "BRICK got SHOUT.", chunkSize: 3 };
    }
    return { content: `The answer from ${request.model}, streamed in small pieces.`, chunkSize: 4 };
  };
}

describe("streaming a turn", () => {
  const ctx = useGraph({ respond: script(), builtins: [upper], checkpointer: false });

  it("gives persona tokens in 'messages' mode, node updates in 'updates' mode and tool progress in 'custom' mode", async () => {
    const stream = await ctx.h.graph.stream(turn("shout it"), { streamMode: ["messages", "updates", "custom", "values"] });
    const tokens = new Map<string, string>();
    const tokenCounts = new Map<string, number>();
    const updates: string[] = [];
    const custom: { type: string }[] = [];
    let final: { answer?: string | null } = {};
    for await (const [mode, chunk] of stream) {
      if (mode === "messages") {
        const [message, metadata] = chunk as [BaseMessage, { langgraph_node: string }];
        if (!AIMessageChunk.isInstance(message)) continue;
        const node = metadata.langgraph_node;
        tokens.set(node, (tokens.get(node) ?? "") + String(message.content));
        tokenCounts.set(node, (tokenCounts.get(node) ?? 0) + 1);
      } else if (mode === "updates") {
        updates.push(...Object.keys(chunk));
      } else if (mode === "custom") {
        custom.push(chunk as { type: string });
      } else {
        final = chunk;
      }
    }
    expect(updates).toEqual(["brick", "tools", "brick", "robin", "babs", "alfred"]);
    expect(tokens.get("alfred")).toBe(final.answer);
    expect(tokenCounts.get("alfred")).toBeGreaterThan(5);
    expect(tokens.get("robin")).toBe(`The answer from ${MODELS.robin}, streamed in small pieces.`);
    expect(tokens.get("brick")).toBe("BRICK got SHOUT.");
    expect(custom).toEqual([
      expect.objectContaining({ type: "tool.calling", name: "to_upper", args: { text: "shout" } }),
      expect.objectContaining({ type: "tool.result", name: "to_upper", ok: true, result: "SHOUT", error: null }),
    ]);
  });

  it("keeps metacognition's plan tokens out of the 'messages' stream", async () => {
    const stream = await ctx.h.graph.stream(turn("shout it"), {
      streamMode: ["messages", "custom"],
      configurable: { metacognition: true },
    });
    let streamed = "";
    const plans: unknown[] = [];
    for await (const [mode, chunk] of stream) {
      if (mode === "messages") streamed += String((chunk as unknown as [BaseMessage])[0].content);
      else if ((chunk as { type: string }).type === "plan") plans.push(chunk);
    }
    expect(plans).toHaveLength(4);
    expect(streamed).not.toContain("PLAN-TOKENS");
    expect(streamed).toContain(`The answer from ${MODELS.alfred}`);
  });
});

describe("the graph's shape", () => {
  const ctx = useGraph({ checkpointer: false });

  it("has the six nodes and the edges of the design", async () => {
    const drawable = (await ctx.h.graph.getGraphAsync()).toJSON() as {
      nodes: { id: string }[];
      edges: { source: string; target: string }[];
    };
    const nodes = drawable.nodes.map((n) => String(n.id)).filter((id) => !id.startsWith("__"));
    expect(nodes.sort()).toEqual(["alfred", "babs", "brick", "robin", "tool_forge", "tools"]);
    const edges = drawable.edges.map((e) => `${String(e.source)}->${String(e.target)}`).sort();
    expect(edges).toEqual(
      [
        "__start__->brick",
        "brick->tools",
        "brick->tool_forge",
        "brick->robin",
        "tools->brick",
        "tool_forge->brick",
        "robin->babs",
        "babs->alfred",
        "alfred->__end__",
      ].sort(),
    );
  });
});
