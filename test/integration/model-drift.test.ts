/**
 * Real local models drift from the shape ToolForge asks for (issue 12). Each case drives the real
 * server (startServer: store, live registry with fake instant built-in tools, forge, agent graph)
 * through POST /v1/chat/completions, with the real ChatOllama talking to a scripted Ollama that
 * imitates one documented behaviour of real models or servers, and checks the model calls made
 * and what the user gets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { ScriptedOllama, textToolCall, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { speakerOf, startTestServer, TEST_MODELS, type Speaker, type TestServer } from "./test-server.js";

const wordCount: BuiltinTool = {
  name: "word_count",
  description: "Counts the words in a text.",
  schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
  run: async (args) => String(args.text).trim().split(/\s+/).filter(Boolean).length,
};

const topWords: BuiltinTool = {
  name: "top_words",
  description: "The most frequent words of a text, most frequent first.",
  schema: {
    type: "object",
    properties: { text: { type: "string" }, limit: { type: "number" } },
    required: ["text", "limit"],
    additionalProperties: false,
  },
  run: async (args) => {
    const counts = new Map<string, number>();
    for (const word of String(args.text).split(/\s+/).filter(Boolean)) counts.set(word, (counts.get(word) ?? 0) + 1);
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(args.limit))
      .map(([word]) => word);
  },
};

interface Turn {
  status: number;
  reply: string | null;
  finish: string | null;
  toolsUsed: string[];
  toolsCreated: string[];
  notices: string[];
  error: { code: string; message: string } | null;
  /** Who Ollama was asked, in order (interrupted calls included). */
  calls: Speaker[];
  /** The chat requests of this turn, as sent. */
  requests: OllamaChatRequest[];
}

/** One user turn through POST /v1/chat/completions, with the model calls it caused. */
async function ask(served: TestServer, ollama: ScriptedOllama, content: string, headers: Record<string, string> = {}): Promise<Turn> {
  const before = ollama.exchanges.length;
  const response = await fetch(`${served.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "toolforge", messages: [{ role: "user", content }] }),
  });
  const body = (await response.json()) as {
    choices?: { message: { content: string }; finish_reason: string }[];
    toolforge?: { tools_used: string[]; tools_created: string[]; notices?: string[] };
    error?: { code: string; message: string };
  };
  const exchanges = ollama.exchanges.slice(before);
  const turn: Turn = {
    status: response.status,
    reply: body.choices?.[0]?.message.content ?? null,
    finish: body.choices?.[0]?.finish_reason ?? null,
    toolsUsed: body.toolforge?.tools_used ?? [],
    toolsCreated: body.toolforge?.tools_created ?? [],
    notices: body.toolforge?.notices ?? [],
    error: body.error ? { code: body.error.code, message: body.error.message } : null,
    calls: exchanges.map((e) => speakerOf(e.request)),
    requests: exchanges.map((e) => e.request),
  };
  if (process.env.DRIFT_REPORT) {
    const { appendFileSync } = await import("node:fs");
    const { expect: e } = await import("vitest");
    const { requests: _requests, ...shown } = turn;
    appendFileSync(process.env.DRIFT_REPORT, `${JSON.stringify({ case: e.getState().currentTestName, ...shown })}\n`);
  }
  return turn;
}

const lastText = (request: OllamaChatRequest | undefined) => request?.messages.map((m) => m.content).join("\n") ?? "";
const hasToolResult = (request: OllamaChatRequest) => request.messages.some((m) => m.role === "tool");
const forgeFailedNote = (request: OllamaChatRequest) =>
  request.messages.some((m) => m.role === "user" && /Forging the requested tool failed/.test(m.content));

/** The cascade answers plainly; ALFRED repeats the tool results he was given, so tests can see them. */
function persona(request: OllamaChatRequest): string {
  const speaker = speakerOf(request);
  if (speaker === "alfred") {
    const notes = lastText(request);
    const result = /Tool result \((\w+)\): (.*)/.exec(notes);
    return result ? `ALFRED: ${result[1]} gave ${result[2]}.` : "ALFRED: here is my answer.";
  }
  if (speaker === "forge") return "I would rather explain than write code.";
  return `${speaker.toUpperCase()}: nothing to add.`;
}

/** BRICK replies with `first` until a tool result or a forge note comes back, then with `after`. */
function brickThen(first: ScriptedReply | string, after: ScriptedReply | string = "BRICK: done.") {
  return (request: OllamaChatRequest): ScriptedReply | string => {
    if (speakerOf(request) !== "brick") return persona(request);
    return hasToolResult(request) || forgeFailedNote(request) ? after : first;
  };
}

const MOON = "moon_phase: gives the moon's phase for a date. Input: {date: string}. Output: string.";

describe("BRICK's tool calls written as text", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
    served = await startTestServer({ ollama, builtins: [wordCount, topWords] });
  });
  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  it.each([
    ["bare JSON (qwen2.5-coder)", textToolCall.json("word_count", { text: "one two three" })],
    ["<tool_call> (qwen)", textToolCall.qwen("word_count", { text: "one two three" })],
    ["<|python_tag|> (llama 3.1)", textToolCall.pythonTag("word_count", { text: "one two three" })],
    ["a ```json block after prose", textToolCall.fenced("word_count", { text: "one two three" }, "Let me count the words.")],
  ])("runs a call written as %s as a real tool call", async (_form, content) => {
    ollama.respondWith(brickThen(content, "BRICK: word_count says 3."));
    const turn = await ask(served, ollama, "How many words are in 'one two three'?");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "brick", "robin", "babs", "alfred"]);
    expect(turn.toolsUsed).toEqual(["word_count"]);
    const second = turn.requests[1]!;
    expect(second.messages.find((m) => m.role === "assistant")?.tool_calls?.[0]?.function).toMatchObject({
      name: "word_count",
      arguments: { text: "one two three" },
    });
    expect(second.messages.find((m) => m.role === "tool")?.content).toBe("3");
    expect(turn.reply).toBe("ALFRED: word_count gave 3.");
  });

  it("leaves a call to a tool that is not bound, or with arguments that do not validate, as text", async () => {
    for (const content of [textToolCall.json("no_such_tool", { text: "x" }), textToolCall.qwen("word_count", { words: ["a"] })]) {
      ollama.respondWith(brickThen(content));
      const turn = await ask(served, ollama, "Count something.");
      expect(turn.status).toBe(200);
      expect(turn.calls).toEqual(["brick", "robin", "babs", "alfred"]);
      expect(turn.toolsUsed).toEqual([]);
    }
  });

  it("never runs a call that is only in the thinking", async () => {
    ollama.respondWith(
      brickThen({ thinking: `Maybe ${textToolCall.json("word_count", { text: "a b" })}`, content: "It is two words; no tool needed." }),
    );
    const turn = await ask(served, ollama, "How many words are in 'a b'?");
    expect(turn.calls).toEqual(["brick", "robin", "babs", "alfred"]);
    expect(turn.toolsUsed).toEqual([]);
  });

  it('coerces a numeric string for a number argument ("2" → 2) instead of costing a round', async () => {
    ollama.respondWith((request) => {
      if (speakerOf(request) !== "brick") return persona(request);
      const tool = request.messages.filter((m) => m.role === "tool").at(-1);
      if (!tool) return { toolCalls: [{ name: "top_words", arguments: { text: "b a b c b a", limit: "2" } }] };
      if (tool.content.includes("invalid_arguments"))
        return { toolCalls: [{ name: "top_words", arguments: { text: "b a b c b a", limit: 2 } }] };
      return "BRICK: the two most frequent words are b and a.";
    });
    const turn = await ask(served, ollama, "Which two words are most frequent in 'b a b c b a'?");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "brick", "robin", "babs", "alfred"]);
    expect(turn.reply).toBe('ALFRED: top_words gave ["b","a"].');
  });
});

describe("TOOL_REQUIRED as models write it", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
    served = await startTestServer({ ollama, env: { FORGE_MAX_ATTEMPTS: "1" } });
  });
  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  it.each([
    ["**TOOL_REQUIRED**: spec (colon outside the bold)", `I need a tool.\n\n**TOOL_REQUIRED**: ${MOON}`],
    ["Tool required: spec", `I need a tool.\n\nTool required: ${MOON}`],
    ["TOOL-REQUIRED: spec", `TOOL-REQUIRED: ${MOON}`],
    ["the marker in the middle of a line", `I cannot compute this exactly. TOOL_REQUIRED: ${MOON}`],
  ])("forges from %s", async (_form, content) => {
    ollama.respondWith(brickThen(content, "BRICK: no tool, so no exact phase."));
    const turn = await ask(served, ollama, "What is the moon's phase on 2024-01-01?");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "forge", "brick", "robin", "babs", "alfred"]);
    expect(lastText(turn.requests[1])).toContain("moon_phase: gives the moon's phase for a date");
  });

  it("cuts the spec where its paragraph ends", async () => {
    ollama.respondWith(brickThen(`TOOL_REQUIRED: ${MOON}\n\nMeanwhile: the phase is probably waxing.`));
    const turn = await ask(served, ollama, "Moon phase on 2024-01-02?");
    expect(turn.calls).toEqual(["brick", "forge", "brick", "robin", "babs", "alfred"]);
    const forge = lastText(turn.requests[1]);
    expect(forge).toContain("Output: string.");
    expect(forge).not.toContain("Meanwhile");
  });

  it("never forges from a marker inside the thinking, nor from 'no tool required'", async () => {
    for (const reply of [
      { thinking: `Perhaps I need a tool.\nTOOL_REQUIRED: ${MOON}`, content: "The moon was a waning crescent then." },
      { content: "No tool required: the moon was a waning crescent then." },
    ]) {
      ollama.respondWith(brickThen(reply));
      const turn = await ask(served, ollama, "Moon phase on 2024-01-03?");
      expect(turn.calls).toEqual(["brick", "robin", "babs", "alfred"]);
    }
  });
});

describe("a spec that failed to forge is not forged again in the same turn", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
    // The defaults: 3 attempts per forge, 2 forges per turn.
    served = await startTestServer({ ollama });
  });
  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  it("tells once that a tool BRICK asks for again already failed, without a second forge or a cap notice", async () => {
    let asks = 0;
    ollama.respondWith((request) => {
      if (speakerOf(request) !== "brick") return persona(request);
      // A stubborn small model: asks again, worded a little differently, despite the note.
      return asks++ === 0
        ? `TOOL_REQUIRED: ${MOON}`
        : "TOOL_REQUIRED: moon_phase: returns the phase of the moon on a date. Input: {date: string}.";
    });
    const turn = await ask(served, ollama, "What is the moon's phase on 2024-02-01?");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "forge", "forge", "forge", "brick", "robin", "babs", "alfred"]);
    expect(turn.notices).toHaveLength(1);
    expect(turn.notices[0]).toMatch(
      /^BRICK asked again for the tool "moon_phase", which was already tried this turn and failed: no module passed in 3 attempts; attempt 3 had no module in the reply: /,
    );
    expect(turn.notices.join("\n")).not.toMatch(/cap/);
  });
});

describe("model failures, told apart", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
    served = await startTestServer({ ollama, env: { FORGE_MAX_ATTEMPTS: "1" } });
  });
  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  /** The n-th call to `who` in this turn gets `reply`; everything else answers as usual. */
  function failing(who: Speaker, replies: Record<number, ScriptedReply>) {
    let n = 0;
    return (request: OllamaChatRequest): ScriptedReply | string => {
      if (speakerOf(request) !== who) return persona(request);
      return replies[n++] ?? persona(request);
    };
  }

  it("retries a stream cut mid-answer once, and the turn answers", async () => {
    ollama.respondWith(failing("brick", { 0: { content: "Let me think about the moon and", interrupt: { afterChars: 12 } } }));
    const turn = await ask(served, ollama, "A question whose first analysis is cut.");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "brick", "robin", "babs", "alfred"]);
    expect(turn.reply).toBe("ALFRED: here is my answer.");
  });

  it("retries a stream that ended without done, once", async () => {
    ollama.respondWith(failing("robin", { 0: { content: "I feel", interrupt: { afterChars: 3, how: "end" } } }));
    const turn = await ask(served, ollama, "A question whose second note ends early.");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "robin", "robin", "babs", "alfred"]);
  });

  it("says the stream was interrupted (not that Ollama is down) when it is cut twice", async () => {
    const cut: ScriptedReply = { content: "The answer is", interrupt: { afterChars: 5 } };
    ollama.respondWith(failing("alfred", { 0: cut, 1: cut }));
    const turn = await ask(served, ollama, "A question whose answer is cut twice.");
    expect(turn.status).toBe(502);
    expect(turn.calls).toEqual(["brick", "robin", "babs", "alfred", "alfred"]);
    expect(turn.error?.code).toBe("model_stream_interrupted");
    expect(turn.error?.message).toContain("ALFRED");
    expect(turn.error?.message).toContain(TEST_MODELS.ALFRED_MODEL);
    expect(turn.error?.message).not.toContain("ollama serve");
  });

  it("retries an empty reply once", async () => {
    ollama.respondWith(failing("brick", { 0: { content: "" } }));
    const turn = await ask(served, ollama, "A question whose first analysis is empty.");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "brick", "robin", "babs", "alfred"]);
  });

  it("never returns an empty answer as success: falls back to the last persona's words with a notice", async () => {
    ollama.respondWith(failing("alfred", { 0: { content: "" }, 1: { thinking: "Hmm.", content: "" } }));
    const turn = await ask(served, ollama, "A question ALFRED cannot answer.");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "robin", "babs", "alfred", "alfred"]);
    expect(turn.reply).toMatch(/ALFRED gave no answer/);
    expect(turn.reply).toContain("BABS: nothing to add.");
  });

  it("keeps thinking out of the answer, whether it came in Ollama's thinking field or inline, streamed or not", async () => {
    // Newer Ollama: thinking in message.thinking (on by default for thinking models); older: inline <think>.
    for (const thinkingAs of ["field", "inline"] as const) {
      ollama.respondWith(failing("alfred", { 0: { thinking: "The user wants a number. 6*7=42.", content: "It is 42.", thinkingAs } }));
      const turn = await ask(served, ollama, "What is six times seven?");
      expect(turn.reply).toBe("It is 42.");
    }

    ollama.respondWith(failing("alfred", { 0: { thinking: "The user wants a number. 6*7=42.", content: "It is 42.", chunkSize: 3 } }));
    const response = await fetch(`${served.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "toolforge", stream: true, messages: [{ role: "user", content: "And streamed?" }] }),
    });
    let streamed = "";
    for (const line of (await response.text()).split("\n")) {
      if (!line.startsWith("data: {")) continue;
      const chunk = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
      streamed += chunk.choices?.[0]?.delta?.content ?? "";
    }
    expect(streamed).toBe("It is 42.");
  });

  it('reports finish_reason "length" when the answer was cut at the length limit', async () => {
    ollama.respondWith(failing("alfred", { 0: { content: "The three steps are: first, mix; second,", doneReason: "length" } }));
    const turn = await ask(served, ollama, "A question with a long answer.");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "robin", "babs", "alfred"]);
    expect(turn.finish).toBe("length");
    expect(turn.reply).toBe("The three steps are: first, mix; second,");
  });

  it("never forges from a TOOL_REQUIRED cut at the length limit, and says so", async () => {
    ollama.respondWith(
      failing("brick", {
        0: { content: "TOOL_REQUIRED: moon_phase: gives the moon's phase for a date. Input: {da", doneReason: "length" },
      }),
    );
    const turn = await ask(served, ollama, "Moon phase, with a reply cut short.");
    expect(turn.status).toBe(200);
    expect(turn.calls).toEqual(["brick", "robin", "babs", "alfred"]);
    expect(lastText(turn.requests[3])).toMatch(/cut off at the length limit/);
  });

  it("still says Ollama is unreachable, with `ollama serve`, when nothing answers", async () => {
    const down = await ScriptedOllama.start();
    const host = down.url;
    await down.close();
    const gone = await startTestServer({ ollama: down, env: { OLLAMA_HOST: host } });
    try {
      const turn = await ask(gone, down, "Anyone there?");
      expect(turn.status).toBe(503);
      expect(turn.error?.message).toContain("ollama serve");
    } finally {
      await gone.close();
    }
  });
});

describe("BRICK on a model without Ollama's tools capability", () => {
  const API_KEY = "drift-test-key";
  const auth = { authorization: `Bearer ${API_KEY}` };
  let ollama: ScriptedOllama;
  let served: TestServer;
  beforeAll(async () => {
    const full = { capabilities: ["completion", "tools"] };
    ollama = await ScriptedOllama.start({
      models: {
        "notools:test": { capabilities: ["completion"] },
        [TEST_MODELS.ROBIN_MODEL]: full,
        [TEST_MODELS.BABS_MODEL]: full,
        [TEST_MODELS.ALFRED_MODEL]: full,
        [TEST_MODELS.FORGE_MODEL]: full,
      },
    });
    served = await startTestServer({ ollama, builtins: [wordCount], env: { BRICK_MODEL: "notools:test", TOOLFORGE_API_KEY: API_KEY } });
  });
  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  it("answers without tools, does not forge, and says why and which model to pull", async () => {
    ollama.respondWith((request) => (request.model === "notools:test" ? `I would need a tool.\nTOOL_REQUIRED: ${MOON}` : persona(request)));
    for (const question of ["What is the moon's phase on 2024-03-01?", "What is the capital of France?"]) {
      const turn = await ask(served, ollama, question, auth);
      expect(turn.status).toBe(200);
      expect(turn.calls).toEqual(["notools", "robin", "babs", "alfred"]);
      expect(turn.requests[0]!.tools ?? []).toEqual([]);
      expect(lastText(turn.requests[3])).toMatch(/notools:test.*tools/);
      expect(lastText(turn.requests[3])).toContain("ollama pull qwen3:8b");
      expect(turn.notices).toEqual([expect.stringMatching(/"notools:test" cannot call tools.*ollama pull qwen3:8b/)]);
    }
  });

  it("said so in the log at start", () => {
    const start = served.logs
      .map((line) => JSON.parse(line) as { msg?: string; problems?: string[] })
      .find((e) => e.msg?.startsWith("models not ready"));
    expect(start?.problems?.join("\n")).toMatch(/BRICK \(BRICK_MODEL=notools:test\): model "notools:test" does not support tool calling/);
  });

  it("shows the problem in /healthz", async () => {
    const health = (await (await fetch(`${served.url}/healthz`, { headers: auth })).json()) as {
      status: string;
      checks: Record<string, { ok: boolean; detail: string; hint?: string }>;
    };
    expect(health.status).toBe("degraded");
    expect(health.checks.models?.ok).toBe(false);
    expect(health.checks.models?.detail).toMatch(/BRICK.*notools:test.*tools/);
  });
});

describe("the context window", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  beforeAll(async () => {
    // Every model can take 8192 tokens; Ollama's default window without num_ctx is 4096.
    const info = { capabilities: ["completion", "tools"], contextLength: 8_192, architecture: "qwen3" };
    ollama = await ScriptedOllama.start({ models: Object.fromEntries(Object.values(TEST_MODELS).map((m) => [m, info])) });
    served = await startTestServer({ ollama, builtins: [wordCount] });
  });
  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  it("sends num_ctx and fits a long conversation so the system prompt, tools and the question survive", async () => {
    ollama.respondWith(persona);
    const history = Array.from({ length: 16 }, (_, i) => [
      { role: "user", content: `Earlier question ${i}: ${"tell me more about the tides. ".repeat(40)}` },
      { role: "assistant", content: `Earlier answer ${i}: ${"the tides follow the moon. ".repeat(40)}` },
    ]).flat();
    const before = ollama.exchanges.length;
    const response = await fetch(`${served.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "toolforge",
        messages: [...history, { role: "user", content: "And the latest question: when is high tide?" }],
      }),
    });
    expect(response.status).toBe(200);
    const exchanges = ollama.exchanges.slice(before);
    expect(exchanges.map((e) => speakerOf(e.request))).toEqual(["brick", "robin", "babs", "alfred"]);
    for (const exchange of exchanges) {
      expect(exchange.request.options?.num_ctx).toBe(8_192);
      expect(exchange.truncated).toBe(false);
      expect(exchange.seen.messages[0]?.role).toBe("system");
      expect(lastText(exchange.seen)).toContain("And the latest question: when is high tide?");
    }
    expect(exchanges[0]!.seen.tools?.map((t) => t.function.name)).toEqual(["word_count"]);
    // The oldest turns were dropped to make room; the newest kept.
    expect(lastText(exchanges[0]!.seen)).not.toContain("Earlier question 0:");
    expect(lastText(exchanges[0]!.seen)).toContain("Earlier answer 15:");
  });

  it("warns, with the model and the numbers, when Ollama read far fewer tokens than were sent", async () => {
    ollama.respondWith((request) => (speakerOf(request) === "brick" ? { content: "BRICK: fine.", promptEvalCount: 60 } : persona(request)));
    const logsBefore = served.logs.length;
    // About 3,500 tokens by ToolForge's estimate: well within the 8,192 window, but a prompt of other
    // text (another language, code) can run to three times the tokens estimated: the read count tells.
    const turn = await ask(served, ollama, `Summarise this: ${"a long text about tides and the moon. ".repeat(330)}`);
    expect(turn.status).toBe(200);
    const warning = served.logs
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.type === "model.context_truncated");
    expect(warning).toMatchObject({ model: TEST_MODELS.BRICK_MODEL, persona: "brick", promptEvalCount: 60, numCtx: 8_192 });
    expect(warning?.estimatedTokens).toBeGreaterThan(2_048);
  });
});
