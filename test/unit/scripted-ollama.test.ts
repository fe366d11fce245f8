import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatOllama } from "@langchain/ollama";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { estimatePromptTokens, ScriptedOllama } from "../support/scripted-ollama.js";

describe("the scripted Ollama server speaks what the real ChatOllama client expects", () => {
  let ollama: ScriptedOllama;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
  });
  afterAll(async () => ollama.close());

  it("streams a reply as NDJSON that ChatOllama assembles", async () => {
    ollama.enqueue({ content: "Hello from the script, in several chunks.", chunkSize: 5 });
    const model = new ChatOllama({ baseUrl: ollama.url, model: "llama3.1:8b" });
    const reply = await model.invoke([new HumanMessage("hi")]);
    expect(reply.content).toBe("Hello from the script, in several chunks.");
    expect(ollama.chatRequests.at(-1)?.stream).toBe(true);
  });

  it("delivers tool calls with their arguments and receives bound tools", async () => {
    ollama.enqueue({ toolCalls: [{ name: "word_count", arguments: { text: "a b c" } }] });
    const wordCount = tool(async ({ text }) => String(text.split(" ").length), {
      name: "word_count",
      description: "Counts words",
      schema: z.object({ text: z.string() }),
    });
    const model = new ChatOllama({ baseUrl: ollama.url, model: "llama3.1:8b" }).bindTools([wordCount]);
    const reply = await model.invoke([new HumanMessage("count")]);
    expect(reply.tool_calls).toHaveLength(1);
    expect(reply.tool_calls?.[0]).toMatchObject({ name: "word_count", args: { text: "a b c" } });
    expect(ollama.chatRequests.at(-1)?.tools?.[0]?.function.name).toBe("word_count");
  });

  it("refuses tools for a model without the tools capability, as Ollama does", async () => {
    ollama.setModels({ "phi3:mini": { capabilities: ["completion"] } });
    const wordCount = tool(async () => "1", { name: "w", description: "d", schema: z.object({}) });
    const model = new ChatOllama({ baseUrl: ollama.url, model: "phi3:mini" }).bindTools([wordCount]);
    await expect(model.invoke([new HumanMessage("x")])).rejects.toThrow(/does not support tools/);
    ollama.setModels(undefined);
  });
});

describe("the scripted Ollama server imitates what real models and servers do", () => {
  let ollama: ScriptedOllama;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
  });
  afterAll(async () => ollama.close());
  const chat = (fields: Record<string, unknown> = {}) => new ChatOllama({ baseUrl: ollama.url, model: "qwen3:8b", ...fields });

  it("puts a thinking model's reasoning in message.thinking, think set or not, and leaves other models' inline", async () => {
    ollama.setModels({ "qwen3:8b": { capabilities: ["completion", "tools", "thinking"] }, "deepseek-r1:7b": {} });
    const reply = { thinking: "Let me count.", content: "Three." };
    ollama.enqueue(reply, reply, reply);
    const withField = await chat({ think: true }).invoke([new HumanMessage("count")]);
    expect(withField.content).toBe("Three.");
    expect(withField.additional_kwargs.reasoning_content).toBe("Let me count.");
    const unset = await chat().invoke([new HumanMessage("count")]);
    expect(unset.content).toBe("Three.");
    expect(unset.additional_kwargs.reasoning_content).toBe("Let me count.");
    const inline = await new ChatOllama({ baseUrl: ollama.url, model: "deepseek-r1:7b" }).invoke([new HumanMessage("count")]);
    expect(inline.content).toBe("<think>\nLet me count.\n</think>\n\nThree.");
    ollama.setModels(undefined);
  });

  it("lets a thinking model think unless the request says think: false, and refuses think for other models", async () => {
    ollama.setModels({ "qwen3:8b": { capabilities: ["completion", "tools", "thinking"], thinkingTokens: 50 }, "llama3.2:3b": {} });
    ollama.enqueue("Three.", "Three.");
    const thought = await chat({ think: true }).invoke([new HumanMessage("count")]);
    expect(String(thought.additional_kwargs.reasoning_content).length).toBeGreaterThan(100);
    expect(ollama.exchanges.at(-1)!.cost!.thinkingTokens).toBeGreaterThanOrEqual(50);
    const plain = await chat({ think: false }).invoke([new HumanMessage("count")]);
    expect(plain.content).toBe("Three.");
    expect(ollama.exchanges.at(-1)!.cost!.thinkingTokens).toBe(0);
    await expect(
      new ChatOllama({ baseUrl: ollama.url, model: "llama3.2:3b", think: true }).invoke([new HumanMessage("x")]),
    ).rejects.toThrow(/does not support thinking/);
    ollama.setModels(undefined);
    ollama.respondWith(undefined);
  });

  it("ends a reply at num_predict tokens, thinking included, with done_reason length", async () => {
    ollama.enqueue({ content: "word ".repeat(200) });
    const cut = await chat({ numPredict: 20 }).invoke([new HumanMessage("talk")]);
    expect(String(cut.content).length).toBeLessThanOrEqual(80);
    expect(cut.response_metadata).toMatchObject({ done_reason: "length", eval_count: 20 });
  });

  it("evaluates only what follows the cached prefix, and reloads (emptying the cache) when num_ctx changes", async () => {
    const system = new SystemMessage("You are a careful assistant. ".repeat(40));
    ollama.enqueue("First answer.", "Second answer.", "Third answer.");
    const first = await chat({ numCtx: 8_192 }).invoke([system, new HumanMessage("one")]);
    const second = await chat({ numCtx: 8_192 }).invoke([system, new HumanMessage("one"), first, new HumanMessage("two")]);
    const [a, b] = ollama.exchanges.slice(-2).map((e) => e.cost!);
    expect(a!.evaluatedTokens).toBe(a!.sentTokens);
    // The second prompt repeats the first and its reply: only the new question and the template around it are read.
    expect(b!.cachedTokens).toBeGreaterThan(a!.sentTokens);
    expect(second.response_metadata.prompt_eval_count).toBe(b!.evaluatedTokens);
    expect(b!.evaluatedTokens).toBeLessThan(25);
    await chat({ numCtx: 4_096 }).invoke([system, new HumanMessage("one")]);
    const c = ollama.exchanges.at(-1)!.cost!;
    expect(c).toMatchObject({ loaded: true, reloaded: true, cachedTokens: 0 });
  });

  it("cuts a stream mid-answer three ways, each an error in ChatOllama", async () => {
    ollama.enqueue(
      { content: "The answer is forty", interrupt: { afterChars: 10 } },
      { content: "The answer is forty", interrupt: { afterChars: 10, how: "end" } },
      { content: "The answer is forty", interrupt: { afterChars: 10, how: "error", message: "llama runner process has terminated" } },
    );
    const destroyed = (await chat()
      .invoke([new HumanMessage("q")])
      .catch((e: unknown) => e)) as Error;
    expect(destroyed).toBeInstanceOf(Error);
    expect(`${destroyed.message} ${String((destroyed.cause as Error | undefined)?.message)}`).toMatch(
      /terminated|other side closed|socket/i,
    );
    await expect(chat().invoke([new HumanMessage("q")])).rejects.toThrow(/Did not receive done/);
    await expect(chat().invoke([new HumanMessage("q")])).rejects.toThrow(/llama runner process has terminated/);
    expect(ollama.exchanges.slice(-3).map((e) => e.ending)).toEqual(["interrupted", "interrupted", "interrupted"]);
  });

  it("reports done_reason length and an empty reply in the response metadata", async () => {
    ollama.enqueue({ content: "The list: 1, 2, 3,", doneReason: "length" }, "");
    const cut = await chat().invoke([new HumanMessage("list")]);
    expect(cut.response_metadata).toMatchObject({ done: true, done_reason: "length" });
    const empty = await chat().invoke([new HumanMessage("anything?")]);
    expect(empty.content).toBe("");
    expect(empty.response_metadata).toMatchObject({ done: true, done_reason: "stop" });
  });

  it("describes a model's architecture and context length in /api/show", async () => {
    ollama.setModels({ "qwen3:8b": { capabilities: ["completion", "tools", "thinking"], architecture: "qwen3", contextLength: 40_960 } });
    const show = (await (
      await fetch(`${ollama.url}/api/show`, { method: "POST", body: JSON.stringify({ model: "qwen3:8b" }) })
    ).json()) as {
      capabilities: string[];
      model_info: Record<string, unknown>;
    };
    expect(show.capabilities).toContain("thinking");
    expect(show.model_info).toMatchObject({ "general.architecture": "qwen3", "qwen3.context_length": 40_960 });
    ollama.setModels(undefined);
  });

  it("cuts an overlong prompt from the start, silently, and reports the tokens read as prompt_eval_count", async () => {
    ollama.setModels({ "small:1b": { defaultNumCtx: 2_048, contextLength: 8_192 } });
    const long = "word ".repeat(3_000); // about 3,750 tokens by the server's estimate
    const seen: string[][] = [];
    ollama.respondWith((request) => {
      seen.push(request.messages.map((m) => m.role));
      return "ok";
    });
    const messages = [new SystemMessage("You are BRICK."), new HumanMessage(long), new HumanMessage("the question")];
    const cut = await new ChatOllama({ baseUrl: ollama.url, model: "small:1b" }).invoke(messages);
    expect(cut.response_metadata.prompt_eval_count).toBe(2_048);
    expect(ollama.exchanges.at(-1)).toMatchObject({ truncated: true, numCtx: 2_048 });
    expect(seen.at(-1)).toEqual(["user"]);

    const roomy = await new ChatOllama({ baseUrl: ollama.url, model: "small:1b", numCtx: 8_192 }).invoke(messages);
    expect(ollama.exchanges.at(-1)).toMatchObject({ truncated: false, numCtx: 8_192 });
    expect(roomy.response_metadata.prompt_eval_count).toBe(estimatePromptTokens(ollama.exchanges.at(-1)!.request));
    expect(seen.at(-1)).toEqual(["system", "user", "user"]);
    ollama.respondWith(undefined).setModels(undefined);
  });
});
