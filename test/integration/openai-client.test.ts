/**
 * The official `openai` npm client, unchanged, against the real server and the real agent graph
 * (personas on a scripted Ollama): a completion and a stream. The answer is ALFRED's.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { cascade, speakerOf, startTestServer, type TestServer } from "./test-server.js";

let ollama: ScriptedOllama;
let served: TestServer;
let client: OpenAI;

beforeAll(async () => {
  ollama = await ScriptedOllama.start({
    respond: cascade(() => "ALFRED: the answer is forty-two, delivered in several streamed pieces."),
  });
  served = await startTestServer({ ollama });
  client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: "not-needed-without-TOOLFORGE_API_KEY", maxRetries: 0 });
});

afterAll(async () => {
  await served?.close();
  await ollama?.close();
});

describe("the OpenAI client against ToolForge", () => {
  it("lists the toolforge model", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("toolforge");
  });

  it("gets a completion whose content is ALFRED's answer, after all four personas spoke", async () => {
    const before = ollama.chatRequests.length;
    const completion = await client.chat.completions.create({
      model: "toolforge",
      messages: [{ role: "user", content: "What is six times seven?" }],
    });
    expect(completion.choices[0]?.message.content).toBe("ALFRED: the answer is forty-two, delivered in several streamed pieces.");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    const speakers = ollama.chatRequests.slice(before).map(speakerOf);
    expect(speakers).toEqual(["brick", "robin", "babs", "alfred"]);
  });

  it("streams the answer in several chunks that add up to ALFRED's answer, with the cascade as reasoning", async () => {
    const stream = await client.chat.completions.create({
      model: "toolforge",
      stream: true,
      messages: [{ role: "user", content: "And in a stream?" }],
    });
    const pieces: string[] = [];
    let reasoning = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (delta?.content) pieces.push(delta.content);
      reasoning += delta?.reasoning_content ?? "";
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("ALFRED: the answer is forty-two, delivered in several streamed pieces.");
    expect(reasoning).toContain("BRICK: BRICK notes: nothing to add.");
    expect(reasoning).toContain("BABS: BABS notes");
  });

  it("continues a conversation on the thread named by `user`: BRICK sees the first turn", async () => {
    const thread = `openai-thread-${Date.now()}`;
    await client.chat.completions.create({
      model: "toolforge",
      user: thread,
      messages: [{ role: "user", content: "Remember the word PELICAN." }],
    });
    const before = ollama.chatRequests.length;
    await client.chat.completions.create({ model: "toolforge", user: thread, messages: [{ role: "user", content: "Which word?" }] });
    const brick = ollama.chatRequests.slice(before).find((r) => speakerOf(r) === "brick");
    expect(brick?.messages.some((m) => m.content.includes("PELICAN"))).toBe(true);
  });

  it("reports usage as Ollama's counts summed over the turn, and in a stream when the client asks for it", async () => {
    const before = ollama.exchanges.length;
    const completion = await client.chat.completions.create({ model: "toolforge", messages: [{ role: "user", content: "How much?" }] });
    const sum = (from: number, to: number, pick: (e: (typeof ollama.exchanges)[number]) => number) =>
      ollama.exchanges.slice(from, to).reduce((total, e) => total + pick(e), 0);
    const prompt = sum(before, ollama.exchanges.length, (e) => e.promptEvalCount ?? 0);
    const generated = sum(before, ollama.exchanges.length, (e) => e.cost?.generatedTokens ?? 0);
    expect(prompt).toBeGreaterThan(0);
    expect(completion.usage).toEqual({ prompt_tokens: prompt, completion_tokens: generated, total_tokens: prompt + generated });
    const breakdown = (completion as unknown as { toolforge: { usage: { calls: number; by: Record<string, { calls: number }> } } })
      .toolforge.usage;
    expect(breakdown.calls).toBe(4);
    expect(Object.fromEntries(Object.entries(breakdown.by).map(([who, t]) => [who, t.calls]))).toEqual({
      brick: 1,
      robin: 1,
      babs: 1,
      alfred: 1,
    });

    const streamed = async (includeUsage: boolean) => {
      const from = ollama.exchanges.length;
      const stream = await client.chat.completions.create({
        model: "toolforge",
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        messages: [{ role: "user", content: "And streamed?" }],
      });
      const usages = [];
      for await (const chunk of stream) if (chunk.usage) usages.push({ usage: chunk.usage, choices: chunk.choices.length });
      return { usages, prompt: sum(from, ollama.exchanges.length, (e) => e.promptEvalCount ?? 0) };
    };
    const asked = await streamed(true);
    expect(asked.usages).toHaveLength(1);
    expect(asked.usages[0]).toMatchObject({ choices: 0, usage: { prompt_tokens: asked.prompt } });
    expect((await streamed(false)).usages).toEqual([]);
  });
});
