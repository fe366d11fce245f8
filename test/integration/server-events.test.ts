/**
 * GET /events while a forge runs, on the real server with the real gVisor sandbox: BRICK asks for
 * a tool, the scripted forge model writes it, the sandbox validates it, and the tool-created event
 * reaches an /events client before the chat turn that caused it has answered. The turn's answer
 * lists the tool as created and used. The same forge, seen through a streamed completion, shows up
 * as it happens in the reasoning lines and the `toolforge.event` field.
 */
import OpenAI from "openai";
import { expect, it } from "vitest";
import { TOOL_EXAMPLE } from "../../src/forge/prompt.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { readSse } from "../../src/util/sse-reader.js";
import { speakerOf, startTestServer } from "./test-server.js";

function script(request: OllamaChatRequest): ScriptedReply | string {
  const speaker = speakerOf(request);
  if (speaker === "forge") return TOOL_EXAMPLE;
  if (speaker === "brick") {
    const bound = request.tools?.some((t) => t.function.name === "word_count") ?? false;
    const answered = request.messages.some((m) => m.role === "tool");
    if (!bound)
      return "I cannot count words exactly.\nTOOL_REQUIRED: word_count: counts the words in a text. Input: {text: string}. Output: number of words.";
    if (!answered) return { toolCalls: [{ name: "word_count", arguments: { text: "one two three" } }] };
    return { content: "word_count says 3.", chunkSize: 2, chunkDelayMs: 5 };
  }
  return { content: speaker === "alfred" ? "There are 3 words." : `${speaker} agrees`, chunkSize: 2, chunkDelayMs: 5 };
}

describeSandbox("GET /events during a forge", (sandbox) => {
  it("delivers forge attempts and the tool-created event while the turn is still running", async () => {
    const ollama = await ScriptedOllama.start({ respond: script });
    const served = await startTestServer({ ollama, sandbox: sandbox() });
    const controller = new AbortController();
    try {
      const response = await fetch(`${served.url}/events`, { signal: controller.signal });
      const events: { event: string | undefined; data: Record<string, unknown> }[] = [];
      let chatAnswered = false;
      let createdBeforeAnswer: boolean | null = null;
      const listening = (async () => {
        try {
          for await (const message of readSse(response.body!)) {
            events.push({ event: message.event, data: JSON.parse(message.data) as Record<string, unknown> });
            if (message.event === "tool.created") createdBeforeAnswer = !chatAnswered;
          }
        } catch (error) {
          if (!controller.signal.aborted) throw error;
        }
      })();

      const chat = await fetch(`${served.url}/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "How many words are in 'one two three'?" }),
      });
      chatAnswered = true;
      expect(chat.status).toBe(200);
      const body = (await chat.json()) as { reply: string; tools_created: string[]; tools_used: string[] };
      expect(body.reply).toBe("There are 3 words.");
      expect(body.tools_created).toEqual(["word_count"]);
      expect(body.tools_used).toEqual(["word_count"]);

      expect(createdBeforeAnswer).toBe(true);
      const created = events.find((e) => e.event === "tool.created");
      expect(created?.data).toMatchObject({ type: "tool.created", name: "word_count", version: 1 });
      expect(events.some((e) => e.event === "forge.attempt" && e.data.outcome === "passed")).toBe(true);
      expect(events.some((e) => e.event === "tool.called" && e.data.name === "word_count")).toBe(true);
      controller.abort();
      await listening;
    } finally {
      controller.abort();
      await served.close();
      await ollama.close();
    }
  });

  it("shows the forge and the tool call with its result in a streamed completion as they happen, before the answer", async () => {
    const ollama = await ScriptedOllama.start({ respond: script });
    const served = await startTestServer({ ollama, sandbox: sandbox() });
    try {
      const client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: "none", maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: "toolforge",
        stream: true,
        messages: [{ role: "user", content: "How many words are in 'one two three'?" }],
      });
      const order: string[] = [];
      const reasoning: string[] = [];
      let content = "";
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
        const event = (chunk as unknown as { toolforge?: { event?: { type: string; stage?: string; name?: string } } }).toolforge?.event;
        if (event)
          order.push(
            event.type === "forge" ? `forge:${event.stage}` : event.type === "persona" ? "persona" : `${event.type}:${event.name}`,
          );
        if (delta?.reasoning_content) reasoning.push(delta.reasoning_content.trim());
        if (delta?.content) {
          if (!content) order.push("answer");
          content += delta.content;
        }
      }
      expect(content).toBe("There are 3 words.");
      const at = (step: string) => order.indexOf(step);
      expect(at("forge:installed")).toBeGreaterThan(at("forge:requested"));
      expect(at("tool_call:word_count")).toBeGreaterThan(at("forge:installed"));
      expect(at("tool_result:word_count")).toBeGreaterThan(at("tool_call:word_count"));
      expect(at("answer")).toBeGreaterThan(at("tool_result:word_count"));
      expect(Math.min(at("forge:requested"), at("forge:installed"), at("tool_call:word_count"))).toBeGreaterThanOrEqual(0);
      // The tool's line says what it answered.
      expect(reasoning).toEqual(expect.arrayContaining([expect.stringMatching(/^word_count → 3 \(\d+ ms\)$/)]));
    } finally {
      await served.close();
      await ollama.close();
    }
  });
});
