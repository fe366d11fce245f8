/**
 * What a turn costs a local model (issue 20), each lever on its own: the personas on one model
 * share one growing prompt, thinking is asked for only where it pays and only of models that can,
 * notes are bounded, every caller of a model asks for the same window, a cached prefix is not taken
 * for a cut prompt, and the turn's usage is Ollama's own counts summed. The scripted Ollama
 * accounts for each call as Ollama does (test/support/ollama-runner.ts).
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { AIMessage } from "@langchain/core/messages";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { PERSONAS } from "../../src/personas/registry.js";
import { cueText, TEAM_PROMPT } from "../../src/personas/team.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { isPlanRequest, startGraph, turn, type GraphHarness } from "../support/graph.js";

const MODEL = "qwen3:8b";
const THINKING = { capabilities: ["completion", "tools", "thinking"], architecture: "qwen3", contextLength: 40_960, thinkingTokens: 120 };
/** The product's default: one model for all four personas and the forge. */
const ONE_MODEL = { BRICK_MODEL: MODEL, ROBIN_MODEL: MODEL, BABS_MODEL: MODEL, ALFRED_MODEL: MODEL, FORGE_MODEL: "" };

const wordCount: BuiltinTool = {
  name: "word_count",
  description: "Counts the words in a text.",
  schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
  run: async (args) => String(args.text).trim().split(/\s+/).filter(Boolean).length,
};

type Who = "brick" | "robin" | "babs" | "alfred" | "forge" | "plan";

/** Who a request is from: a plan asks for JSON, the forge has its own system prompt, a cue names the persona, BRICK is the rest. */
function whoAsks(request: OllamaChatRequest): Who {
  if (isPlanRequest(request)) return "plan";
  if (request.messages[0]?.content !== TEAM_PROMPT) return "forge";
  // The persona's cue is last, or before the plan request (and the plan and its instruction, when it answers).
  const last = request.messages.at(-1)?.content ?? "";
  const at = last.startsWith("Your plan for this answer") ? -4 : /write your plan as JSON/.test(last) ? -2 : -1;
  const cue = request.messages.at(at)?.content ?? "";
  for (const name of ["robin", "babs", "alfred"] as const) if (cue.startsWith(cueText(PERSONAS[name]))) return name;
  return "brick";
}

/** BRICK calls word_count once per question, then reports; the others say who they are. */
function script(overrides: Partial<Record<Who, (request: OllamaChatRequest) => ScriptedReply | string>> = {}) {
  return (request: OllamaChatRequest): ScriptedReply | string => {
    const who = whoAsks(request);
    const override = overrides[who];
    if (override) return override(request);
    if (who === "brick") {
      const answered = request.messages.at(-1)?.role === "tool";
      return answered ? "word_count says 4." : { toolCalls: [{ name: "word_count", arguments: { text: "one two three four" } }] };
    }
    return `${who} speaks.`;
  };
}

async function harness(options: { env?: Record<string, string>; models?: Record<string, object>; respond?: ReturnType<typeof script> }) {
  const ollama = await ScriptedOllama.start({ models: options.models ?? { [MODEL]: THINKING }, respond: options.respond ?? script() });
  const h = await startGraph({ ollama, builtins: [wordCount], env: { ...ONE_MODEL, ...options.env } });
  onTestFinished(async () => {
    await h.close();
    await ollama.close();
  });
  return { ollama, h };
}

async function turns(h: GraphHarness, questions: string[]) {
  const results = [];
  for (const question of questions) results.push(await h.graph.invoke(turn(question), h.thread("t")));
  return results;
}

describe("a turn on one model", () => {
  it("sends each call as the previous one plus its reply and what was added since, so Ollama evaluates only that", async () => {
    const { ollama, h } = await harness({});
    await turns(h, ["How many words are in 'one two three four'?", "And in 'five six'?"]);
    const exchanges = ollama.exchanges;
    expect(exchanges.map((e) => whoAsks(e.request))).toEqual([
      ...["brick", "brick", "robin", "babs", "alfred"],
      ...["brick", "brick", "robin", "babs", "alfred"],
    ]);
    for (let i = 1; i < exchanges.length; i++) {
      const [before, now] = [exchanges[i - 1]!.request, exchanges[i]!.request];
      // The same team prompt and tool definitions, and the earlier messages unchanged, in order.
      expect(now.messages[0]).toEqual(before.messages[0]);
      expect(now.tools).toEqual(before.tools);
      expect(now.messages.slice(0, before.messages.length)).toEqual(before.messages);
      expect(now.messages.length).toBeGreaterThan(before.messages.length);
      // What was evaluated is what was added: never the conversation again.
      expect(exchanges[i]!.cost!.evaluatedTokens).toBeLessThan(60);
    }
    expect(exchanges[0]!.cost!.evaluatedTokens).toBe(exchanges[0]!.cost!.sentTokens);
  });

  it("thinks where it pays: BRICK on a question, not when reporting a tool result; ROBIN, BABS and ALFRED not", async () => {
    const { ollama, h } = await harness({});
    await turns(h, ["How many words are in 'one two three four'?"]);
    expect(ollama.chatRequests.map((r) => [whoAsks(r), r.think])).toEqual([
      ["brick", true],
      ["brick", false],
      ["robin", false],
      ["babs", false],
      ["alfred", false],
    ]);
    expect(ollama.exchanges.map((e) => e.cost!.thinkingTokens > 0)).toEqual([true, false, false, false, false]);
  });

  it("sends think only to a model whose /api/show lists the thinking capability", async () => {
    const { ollama, h } = await harness({ models: { [MODEL]: { capabilities: ["completion", "tools"] } } });
    const [result] = await turns(h, ["How many words are in 'one two three four'?"]);
    expect(result!.answer).toBe("alfred speaks.");
    expect(ollama.chatRequests.every((r) => !("think" in r))).toBe(true);
  });

  it("bounds ROBIN's and BABS's notes; a note cut there is kept, marked, and the turn still answers", async () => {
    const { ollama, h } = await harness({
      env: { NOTE_MAX_TOKENS: "40" },
      respond: script({ robin: () => "I worry. ".repeat(100) }),
    });
    const [result] = await turns(h, ["How many words are in 'one two three four'?"]);
    const budgets = Object.fromEntries(ollama.chatRequests.map((r) => [whoAsks(r), r.options?.num_predict]));
    expect(budgets).toEqual({ brick: undefined, robin: 40, babs: 40, alfred: undefined });
    expect(ollama.exchanges.find((e) => whoAsks(e.request) === "robin")!.ending).toBe("length");
    const note = result!.messages.find((m) => AIMessage.isInstance(m) && m.name === "robin")!;
    expect(String(note.content)).toMatch(/^I worry\..* … \[cut at the note limit of 40 tokens\]$/s);
    expect(String(note.content).length).toBeLessThan(220);
    expect(result!.answer).toBe("alfred speaks.");
  });

  it("asks one num_ctx of a model whoever calls it — the personas, a plan and the forge — so it is never reloaded", async () => {
    // The model holds 8,192 tokens: NUM_CTX (16,384) is capped for every caller alike.
    const models = { [MODEL]: { ...THINKING, contextLength: 8_192 } };
    const respond = script({
      brick: (r) =>
        r.messages.some((m) => m.content.startsWith("Tool forge:"))
          ? "No tool, then."
          : "TOOL_REQUIRED: moon_phase: the moon's phase. Input: {date: string}. Output: string.",
      forge: () => "I would rather not.",
      plan: () => JSON.stringify({ goal: "answer", steps: ["answer"] }),
    });
    const { ollama, h } = await harness({ models, respond, env: { FORGE_MAX_ATTEMPTS: "1", METACOG: "on" } });
    await turns(h, ["What is the moon's phase today?"]);
    const callers = new Set(ollama.chatRequests.map(whoAsks));
    expect(callers).toEqual(new Set(["plan", "brick", "forge", "robin", "babs", "alfred"]));
    expect(new Set(ollama.chatRequests.map((r) => r.options?.num_ctx))).toEqual(new Set([8_192]));
    expect(ollama.exchanges.filter((e) => e.cost?.reloaded)).toEqual([]);
  });

  it("sums Ollama's own counts into the turn's usage, by persona and the forge", async () => {
    const { ollama, h } = await harness({});
    const [result] = await turns(h, ["How many words are in 'one two three four'?"]);
    const calls = result!.usage.calls;
    expect(calls.map((c) => c.who)).toEqual(["brick", "brick", "robin", "babs", "alfred"]);
    expect(calls.map((c) => c.promptTokens)).toEqual(ollama.exchanges.map((e) => e.promptEvalCount));
    expect(calls.map((c) => c.completionTokens)).toEqual(ollama.exchanges.map((e) => e.cost!.generatedTokens));
    expect(calls.every((c) => c.durationMs > 0)).toBe(true);
    // A new turn starts its usage afresh.
    const [second] = await turns(h, ["And in 'five six'?"]);
    expect(second!.usage.calls).toHaveLength(5);
  });
});

describe("a small prompt_eval_count", () => {
  /** A conversation long enough (over a quarter of the window) that a cut could be possible. */
  const long = (i: number) => `Question ${i}: ${"tell me about the tides and the moon. ".repeat(120)}`;

  it("is no cut prompt when Ollama's cache served the prefix: no warning over a long conversation", async () => {
    const { h } = await harness({ env: { NUM_CTX: "16384" } });
    const events: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const stream = await h.graph.stream(turn(long(i)), { ...h.thread("long"), streamMode: "custom" });
      for await (const event of stream) events.push(event);
    }
    expect(
      events.filter((e) => (e as { type?: string }).type === "context.truncated"),
      JSON.stringify(events),
    ).toEqual([]);
  });

  it("is a cut prompt when the cache could not have served it, and is reported with the numbers", async () => {
    const respond = script({ brick: () => ({ content: "fine.", promptEvalCount: 50 }) });
    const { h } = await harness({ env: { NUM_CTX: "4096" }, respond });
    const events: { type?: string }[] = [];
    const stream = await h.graph.stream(turn(long(0)), { ...h.thread("cut"), streamMode: "custom" });
    for await (const event of stream) events.push(event as { type?: string });
    expect(events.filter((e) => e.type === "context.truncated")).toEqual([
      expect.objectContaining({ persona: "brick", model: MODEL, numCtx: 4_096, promptEvalCount: 50 }),
    ]);
  });
});
