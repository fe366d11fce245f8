import { describe, expect, it } from "vitest";
import { tool } from "@langchain/core/tools";
import { ChatOllama } from "@langchain/ollama";
import { z } from "zod";
import { loadConfig } from "../../src/config.js";
import { PersonaModels } from "../../src/graph/models.js";

const config = loadConfig({ OLLAMA_HOST: "http://127.0.0.1:9" });
const makeTool = (name: string) => tool(async () => "x", { name, description: name, schema: z.object({}) });

describe("the personas' models and tools", () => {
  it("loads a tool set once per registry revision and binds each model to it once", async () => {
    const models = new PersonaModels(config);
    let loads = 0;
    const load = async (names: readonly string[]) => {
      loads++;
      return names.map(makeTool);
    };
    const first = await models.tools(1, ["a"], load);
    const again = await models.tools(1, ["a"], load);
    expect(again).toBe(first);
    expect(loads).toBe(1);
    const bound = models.bound("brick", "llama3.1:8b", 4096, first);
    expect(models.bound("brick", "llama3.1:8b", 4096, again)).toBe(bound);
    expect(models.bindCount).toBe(1);

    const moved = await models.tools(2, ["a", "b"], load);
    expect(moved.names).toEqual(["a", "b"]);
    expect(moved.tokens).toBeGreaterThan(first.tokens);
    expect(models.bound("brick", "llama3.1:8b", 4096, moved)).not.toBe(bound);
    expect(models.bound("brick", "qwen2.5:7b", 4096, moved)).not.toBe(bound);
    expect(loads).toBe(2);
    expect(models.bindCount).toBe(3);
  });

  it("gives the plain model when the tool set is empty", async () => {
    const models = new PersonaModels(config);
    const none = await models.tools(0, [], async () => []);
    expect(models.bound("brick", "llama3.1:8b", 4096, none)).toBe(models.model("brick", "llama3.1:8b", 4096));
    expect(none.names).toEqual([]);
  });

  it("builds one ChatOllama per window, think and reply budget, with those options", () => {
    const models = new PersonaModels(config);
    const plain = models.model("robin", "qwen3:8b", 8192) as ChatOllama;
    const budgeted = models.model("robin", "qwen3:8b", 8192, { think: false, numPredict: 200 }) as ChatOllama;
    expect(budgeted).not.toBe(plain);
    expect(models.model("robin", "qwen3:8b", 8192, { think: false, numPredict: 200 })).toBe(budgeted);
    expect(budgeted.invocationParams({})).toMatchObject({ think: false, options: { num_ctx: 8192, num_predict: 200 } });
    expect(plain.invocationParams({}).think).toBeUndefined();
  });

  it("uses the chat model supplied for a persona, whatever model name the run asks for", async () => {
    const supplied = new ChatOllama({ baseUrl: "http://127.0.0.1:9", model: "my-robin:3b" });
    const models = new PersonaModels(config, { robin: supplied });
    expect(models.model("robin", "ignored:1b")).toBe(supplied);
    expect(models.modelName("robin", "ignored:1b")).toBe("my-robin:3b");
    expect(models.model("babs", "qwen2.5:7b")).not.toBe(supplied);
    expect(models.modelName("babs", "qwen2.5:7b")).toBe("qwen2.5:7b");
  });
});
