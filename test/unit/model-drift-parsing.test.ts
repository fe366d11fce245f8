/** How BRICK's words are read when real models drift from the asked-for shape (issue 12). */
import { describe, expect, it } from "vitest";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { cleanSpec, requestedToolName } from "../../src/forge/names.js";
import { fitTranscript, estimateMessagesTokens } from "../../src/graph/context-budget.js";
import { replyReserve } from "../../src/util/tokens.js";
import { cueMessage, isCue } from "../../src/graph/conversation.js";
import { findTextToolCalls } from "../../src/personas/text-tool-calls.js";
import { normaliseSpec, parseToolRequest, stripToolRequiredMarker } from "../../src/personas/tool-request.js";
import { MAX_SPEC_CHARS } from "../../src/contract.js";
import { textToolCall } from "../support/scripted-ollama.js";

const SPEC = "moon_phase: gives the moon's phase. Input: {date: string}. Output: string.";

describe("TOOL_REQUIRED as models write it", () => {
  it.each([
    ["TOOL_REQUIRED: spec", `TOOL_REQUIRED: ${SPEC}`],
    ["**TOOL_REQUIRED**: spec", `Analysis.\n\n**TOOL_REQUIRED**: ${SPEC}`],
    ["**TOOL_REQUIRED:** spec", `**TOOL_REQUIRED:** ${SPEC}`],
    ["`TOOL_REQUIRED`: spec", `\`TOOL_REQUIRED\`: ${SPEC}`],
    ["Tool required: spec", `Tool required: ${SPEC}`],
    ["- **Tool Required:** spec in a list", `- **Tool Required:** ${SPEC}`],
    ["TOOL-REQUIRED: spec", `TOOL-REQUIRED: ${SPEC}`],
    ["TOOL REQUIRED: spec", `TOOL REQUIRED: ${SPEC}`],
    ["the marker mid-line", `I cannot compute this. TOOL_REQUIRED: ${SPEC}`],
    ["the marker alone, the spec in a fence below", `TOOL_REQUIRED:\n\`\`\`text\n${SPEC}\n\`\`\`\nThen I continue.`],
  ])("recognises %s", (_form, text) => {
    expect(parseToolRequest(text)).toEqual({ spec: SPEC });
  });

  it("cuts a spec to the contract's one limit (MAX_SPEC_CHARS), as every other door to the forge", () => {
    const spec = parseToolRequest(`TOOL_REQUIRED: moon_phase: ${"the phase of the moon, ".repeat(2_000)}`)?.spec;
    expect(spec).toHaveLength(MAX_SPEC_CHARS);
    expect(spec?.startsWith("moon_phase: the phase")).toBe(true);
  });

  it("cuts the spec where its paragraph or block ends", () => {
    expect(parseToolRequest(`TOOL_REQUIRED: ${SPEC}\n\nMeanwhile: more prose.`)?.spec).toBe(SPEC);
    expect(parseToolRequest(`TOOL_REQUIRED: ${SPEC}\n\`\`\`ts\nconst x = 1;\n\`\`\``)?.spec).toBe(SPEC);
    expect(parseToolRequest(`TOOL_REQUIRED: moon_phase: the phase.\nInput: {date: string}\nOutput: string`)?.spec).toBe(
      "moon_phase: the phase.\nInput: {date: string}\nOutput: string",
    );
  });

  it.each([
    ["inside thinking", `<think>\nTOOL_REQUIRED: ${SPEC}\n</think>\nThe answer is 4.`],
    ["inside thinking without its opening tag", `TOOL_REQUIRED: ${SPEC}\n</think>\nThe answer is 4.`],
    ["inside a code block", `\`\`\`\nTOOL_REQUIRED: ${SPEC}\n\`\`\`\nThe answer is 4.`],
    ["after a negation", "No tool required: the answer is 4."],
    ["lower case in the middle of prose", "So a tool required: nothing more than arithmetic."],
    ["with an empty spec", "TOOL_REQUIRED: none"],
  ])("never recognises one %s", (_case, text) => {
    expect(parseToolRequest(text)).toBeNull();
  });

  it("is stripped by the forge in all its forms, so the forge reads the same name", () => {
    for (const marker of ["TOOL_REQUIRED:", "**TOOL_REQUIRED**:", "Tool required:", "TOOL-REQUIRED:"]) {
      expect(cleanSpec(`${marker} ${SPEC}`)).toBe(SPEC);
      expect(requestedToolName(`${marker} ${SPEC}`)).toBe("moon_phase");
    }
    expect(stripToolRequiredMarker("word_count: x")).toBe("word_count: x");
  });

  it("compares specs once normalised", () => {
    expect(normaliseSpec(`**TOOL_REQUIRED**: Moon_Phase:  gives the moon's   phase.`)).toBe(
      normaliseSpec("moon_phase: gives the moon's phase"),
    );
  });
});

describe("tool calls written as text", () => {
  it.each(Object.entries(textToolCall))("finds a call written as %s", (_form, write) => {
    const found = findTextToolCalls(write("word_count", { text: "a b" }));
    expect(found.calls).toEqual([{ name: "word_count", args: { text: "a b" } }]);
  });

  it("keeps the prose around a call, and reads OpenAI's shape and string arguments", () => {
    const found = findTextToolCalls('Let me count.\n{"function": {"name": "word_count", "arguments": "{\\"text\\": \\"a b\\"}"}}\nDone.');
    expect(found.calls).toEqual([{ name: "word_count", args: { text: "a b" } }]);
    expect(found.rest).toBe("Let me count.\n\nDone.");
  });

  it("finds several calls in one array or several blocks", () => {
    const found = findTextToolCalls(`${textToolCall.qwen("a", {})}\n${textToolCall.qwen("b", { n: 1 })}`);
    expect(found.calls.map((c) => c.name)).toEqual(["a", "b"]);
    expect(findTextToolCalls('[{"name": "a", "arguments": {}}, {"name": "b", "parameters": {}}]').calls).toHaveLength(2);
  });

  it("ignores data that merely has a name, calls inside other JSON, and thinking", () => {
    expect(findTextToolCalls('{"name": "Ada", "age": 36}').calls).toEqual([]);
    expect(findTextToolCalls('{"result": {"name": "x", "arguments": {}}}').calls).toEqual([]);
    expect(findTextToolCalls(`<think>${textToolCall.json("word_count", { text: "a" })}</think>No call.`).calls).toEqual([]);
  });
});

describe("fitting a request to the context window", () => {
  const long = (label: string, n: number) => `${label}: ${"word ".repeat(n)}`;
  const history = Array.from({ length: 10 }, (_, i) => [
    new HumanMessage(long(`question ${i}`, 300)),
    new AIMessage({ content: long(`analysis ${i}`, 100), name: "brick" }),
    cueMessage("ROBIN, your turn."),
    new AIMessage({ content: `note ${i}`, name: "robin" }),
    new AIMessage({ content: long(`answer ${i}`, 300), name: "alfred" }),
  ]).flat();

  it("leaves everything in when it fits", () => {
    const messages = [new HumanMessage("hi")];
    const fitted = fitTranscript(messages, { system: "You are a team.", numCtx: 4_096 });
    expect(fitted).toMatchObject({ droppedMessages: 0, clippedMessages: 0, fits: true });
    expect(fitted.messages).toHaveLength(1);
  });

  it("keeps earlier turns whole, notes and cues included, while they fit: the prompt only grows", () => {
    const messages = [...history.slice(0, 10), new HumanMessage("the latest question")];
    const fitted = fitTranscript(messages, { system: "You are a team.", numCtx: 16_384 });
    expect(fitted.droppedMessages).toBe(0);
    expect(fitted.messages.map((m) => m.content)).toEqual(messages.map((m) => m.content));
  });

  it("shortens earlier turns to question and answer, then drops the oldest four at a time, keeping the newest and the question", () => {
    const messages = [...history, new HumanMessage("the latest question")];
    const fitted = fitTranscript(messages, { system: "You are a team.", toolTokens: 300, numCtx: 4_096 });
    expect(fitted.fits).toBe(true);
    expect(fitted.estimatedTokens).toBeLessThanOrEqual(4_096 - replyReserve(4_096));
    expect(fitted.messages.at(-1)?.content).toBe("the latest question");
    expect(String(fitted.messages.at(-2)?.content)).toMatch(/^answer 9:/);
    expect(fitted.messages.some(isCue)).toBe(false);
    const kept = fitted.messages.filter((m) => HumanMessage.isInstance(m)).length - 1;
    expect((10 - kept) % 4).toBe(0);
    expect(String(fitted.messages[0]?.content)).toMatch(/^question \d:/);
  });

  it("clips long tool results of the turn, then drops its oldest rounds, never the question", () => {
    const round = (i: number) => [
      new AIMessage({ content: "", name: "brick", tool_calls: [{ id: `c${i}`, name: "dump", args: {} }] }),
      new ToolMessage({ content: long(`result ${i}`, 2_000), tool_call_id: `c${i}`, name: "dump" }),
    ];
    const messages = [new HumanMessage("the question"), ...round(1), ...round(2), ...round(3)];
    const fitted = fitTranscript(messages, { system: "You are a team.", numCtx: 2_048 });
    expect(fitted.fits).toBe(true);
    expect(fitted.messages[0]?.content).toBe("the question");
    expect(fitted.clippedMessages).toBeGreaterThan(0);
    const last = fitted.messages.at(-1) as ToolMessage;
    expect(last.tool_call_id).toBe("c3");
    expect(String(last.content)).toMatch(/left out to fit the context window/);
  });

  it("clips a long note of this turn for the next persona, never the user's message or the cue", () => {
    const messages = [
      ...history,
      new HumanMessage("the latest question"),
      new AIMessage({ content: long("BRICK's long analysis", 3_000), name: "brick" }),
      cueMessage("ROBIN, your turn."),
    ];
    const fitted = fitTranscript(messages, { system: "You are a team.", numCtx: 2_048 });
    expect(fitted.fits).toBe(true);
    expect(fitted.messages.at(-1)?.content).toBe("ROBIN, your turn.");
    expect(fitted.messages.at(-3)?.content).toBe("the latest question");
    expect(String(fitted.messages.at(-2)?.content)).toMatch(/left out to fit the context window/);
    expect(estimateMessagesTokens(fitted.messages)).toBeLessThan(2_048);
  });
});
