/**
 * The chat service on a graph's stream: ALFRED's tokens (and only his) become the answer, the other
 * personas' words and the graph's custom events become progress, and the final state gives the
 * reply and the tools. The graph here is a stand-in that replays a recorded stream.
 */
import { AIMessage, AIMessageChunk, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { createGraphChatService, type StreamingGraph } from "../../src/server/chat/graph-chat.js";
import { describeProgress, type ChatProgress } from "../../src/server/chat/types.js";

function replay(items: unknown[]) {
  const calls: { input: { messages: BaseMessage[] }; options: Parameters<StreamingGraph["stream"]>[1] }[] = [];
  const graph: StreamingGraph = {
    async stream(input, options) {
      calls.push({ input, options });
      return (async function* () {
        yield* items;
      })();
    },
  };
  return { graph, calls };
}

describe("createGraphChatService", () => {
  it("streams ALFRED's tokens as the answer and the rest as progress, a tool's result with its value", async () => {
    const { graph, calls } = replay([
      ["messages", [new AIMessageChunk({ content: "thinking" }), { langgraph_node: "brick" }]],
      ["updates", { brick: { messages: [new AIMessage({ content: "TOOL_REQUIRED: word_count", name: "brick" })] } }],
      ["custom", { type: "forge.requested", spec: "word_count" }],
      ["custom", { type: "forge.attempt", runId: "r", attempt: 1, stage: "audit", outcome: "failed", failure: "eval is refused", at: "" }],
      ["custom", { type: "tool.created", runId: "r", name: "word_count", version: 1, at: "" }],
      ["custom", { type: "tool.calling", name: "word_count", args: { text: "a b" }, toolCallId: "c1" }],
      ["custom", { type: "tool.result", name: "word_count", toolCallId: "c1", ok: true, durationMs: 41.6, result: "2", error: null }],
      ["updates", { tools: { messages: [] } }],
      ["messages", [new AIMessageChunk({ content: "Two " }), { langgraph_node: "alfred" }]],
      ["messages", [new AIMessageChunk({ content: "words." }), { langgraph_node: "alfred" }]],
      ["messages", [new AIMessage({ content: "Two words.", name: "alfred" }), { langgraph_node: "alfred" }]],
      ["values", { answer: "Two words.", toolsUsed: ["word_count", "word_count"], toolsCreated: ["word_count"], messages: [] }],
    ]);
    const progress: ChatProgress[] = [];
    const result = await createGraphChatService(graph).run({ threadId: "t-9", messages: [{ role: "user", content: "count a b" }] }, (p) =>
      progress.push(p),
    );
    expect(result).toEqual({
      threadId: "t-9",
      reply: "Two words.",
      toolsUsed: ["word_count"],
      toolsCreated: ["word_count"],
      finishReason: "stop",
      notices: [],
      // The stub graph's state carries no model calls: nothing to sum, but the turn was timed.
      usage: expect.objectContaining({ calls: 0, promptTokens: 0, completionTokens: 0, firstAnswerTokenMs: expect.any(Number) }),
      consent: [],
    });
    expect(progress.filter((p) => p.type === "answer").map((p) => (p as { text: string }).text)).toEqual(["Two ", "words."]);
    expect(progress.filter((p) => p.type !== "answer")).toEqual([
      { type: "persona", persona: "brick", text: "TOOL_REQUIRED: word_count" },
      { type: "forge", stage: "requested", text: "BRICK asked for a new tool: word_count" },
      { type: "forge", stage: "attempt", text: "attempt 1 failed at audit: eval is refused" },
      { type: "forge", stage: "installed", text: "installed word_count v1", name: "word_count", version: 1 },
      { type: "tool_call", name: "word_count", args: { text: "a b" } },
      { type: "tool_result", name: "word_count", ok: true, preview: "2 (42 ms)" },
    ]);
    expect(describeProgress(progress.find((p) => p.type === "tool_result")!)).toBe("word_count → 2 (42 ms)");
    expect(calls[0]?.options.configurable.thread_id).toBe("t-9");
    expect(calls[0]?.options.streamMode).toEqual(expect.arrayContaining(["messages", "updates", "custom", "values"]));
  });

  it("uses ALFRED's whole message when no tokens were streamed", async () => {
    const { graph } = replay([
      ["messages", [new AIMessage({ content: "All at once.", name: "alfred" }), { langgraph_node: "alfred" }]],
      ["values", { messages: [new HumanMessage("q"), new AIMessage({ content: "All at once.", name: "alfred" })] }],
    ]);
    const answers: string[] = [];
    const result = await createGraphChatService(graph).run({ threadId: "t", messages: [{ role: "user", content: "q" }] }, (p) => {
      if (p.type === "answer") answers.push(p.text);
    });
    expect(answers).toEqual(["All at once."]);
    expect(result.reply).toBe("All at once.");
  });

  it("holds back thinking written into ALFRED's tokens, even when a tag is split across tokens", async () => {
    const alfred = (content: string) => ["messages", [new AIMessageChunk({ content, id: "run-1" }), { langgraph_node: "alfred" }]];
    const { graph } = replay([
      alfred("<thi"),
      alfred("nk>Six times"),
      alfred(" seven.</th"),
      alfred("ink>\n\nIt is "),
      alfred("42."),
      ["values", { answer: "It is 42." }],
    ]);
    const answers: string[] = [];
    await createGraphChatService(graph).run({ threadId: "t", messages: [{ role: "user", content: "q" }] }, (p) => {
      if (p.type === "answer") answers.push(p.text);
    });
    expect(answers.join("")).toBe("It is 42.");
  });

  it("streams a reply asked for again after an interruption after a blank line; the result holds only the new one", async () => {
    const chunk = (content: string, id: string) => ["messages", [new AIMessageChunk({ content, id }), { langgraph_node: "alfred" }]];
    const { graph } = replay([
      chunk("The ans", "run-1"),
      chunk("The answer ", "run-2"),
      chunk("is 42.", "run-2"),
      ["values", { answer: "The answer is 42." }],
    ]);
    const answers: string[] = [];
    const result = await createGraphChatService(graph).run({ threadId: "t", messages: [{ role: "user", content: "q" }] }, (p) => {
      if (p.type === "answer") answers.push(p.text);
    });
    expect(answers.join("")).toBe("The ans\n\nThe answer is 42.");
    expect(result.reply).toBe("The answer is 42.");
  });

  it("passes earlier turns as the user's and ALFRED's messages", async () => {
    const { graph, calls } = replay([["values", { answer: "ok" }]]);
    await createGraphChatService(graph).run({
      threadId: "t",
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "first answer" },
        { role: "user", content: "second" },
      ],
    });
    const sent = calls[0]!.input.messages;
    expect(sent.map((m) => [m.getType(), m.content, m.name])).toEqual([
      ["human", "first", undefined],
      ["ai", "first answer", "alfred"],
      ["human", "second", undefined],
    ]);
  });
});
