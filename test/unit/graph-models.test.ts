import { describe, expect, it } from "vitest";
import { tool } from "@langchain/core/tools";
import { ChatOllama } from "@langchain/ollama";
import { z } from "zod";
import { loadConfig } from "../../src/config.js";
import { PersonaModels } from "../../src/graph/models.js";

const config = loadConfig({ OLLAMA_HOST: "http://127.0.0.1:9" });
const makeTool = (name: string) => tool(async () => "x", { name, description: name, schema: z.object({}) });

describe("BRICK's bound model", () => {
  it("is rebuilt only when the registry revision or the model changes", async () => {
    const models = new PersonaModels(config);
    let loads = 0;
    const load = (names: string[]) => async () => {
      loads++;
      return names.map(makeTool);
    };
    const first = await models.brickWithTools("llama3.1:8b", 1, load(["a"]));
    const again = await models.brickWithTools("llama3.1:8b", 1, load(["a"]));
    expect(again.model).toBe(first.model);
    expect(loads).toBe(1);
    expect(models.bindCount).toBe(1);

    const moved = await models.brickWithTools("llama3.1:8b", 2, load(["a", "b"]));
    expect(moved.model).not.toBe(first.model);
    expect(moved.toolNames).toEqual(["a", "b"]);
    const otherModel = await models.brickWithTools("qwen2.5:7b", 2, load(["a", "b"]));
    expect(otherModel.model).not.toBe(moved.model);
    expect(loads).toBe(3);
    expect(models.bindCount).toBe(3);
  });

  it("is the plain model when the registry has no tools", async () => {
    const models = new PersonaModels(config);
    const { model, toolNames } = await models.brickWithTools("llama3.1:8b", 0, async () => []);
    expect(model).toBe(models.model("brick", "llama3.1:8b"));
    expect(toolNames).toEqual([]);
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
