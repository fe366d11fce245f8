import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatOllama } from "@langchain/ollama";
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { ScriptedOllama } from "../support/scripted-ollama.js";

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
