import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelUnavailableError } from "../../src/errors.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { MODELS, startGraph, turn } from "../support/graph.js";

describe("when a model cannot be reached", () => {
  let ollama: ScriptedOllama;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
  });
  afterAll(async () => ollama.close());

  it("Ollama down: the run fails with ModelUnavailableError saying how to start Ollama", async () => {
    const down = await ScriptedOllama.start();
    const port = new URL(down.url).port;
    await down.close();
    const h = await startGraph({ ollama: down, env: { OLLAMA_HOST: `http://127.0.0.1:${port}` }, checkpointer: false });
    try {
      const error = await h.graph.invoke(turn("hello")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelUnavailableError);
      expect((error as Error).message).toContain(`Ollama is not reachable at http://127.0.0.1:${port}`);
      expect((error as ModelUnavailableError).hint).toContain("ollama serve");
      expect((error as Error).message).toContain("BRICK");
    } finally {
      await h.close();
    }
  });

  it("a persona's model missing: the run fails naming the persona and the `ollama pull` line", async () => {
    ollama.setModels({ [MODELS.brick]: { capabilities: ["completion", "tools"] }, [MODELS.babs]: {}, [MODELS.alfred]: {} });
    ollama.respondWith(() => "fine");
    const h = await startGraph({ ollama, checkpointer: false });
    try {
      const error = await h.graph.invoke(turn("hello")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelUnavailableError);
      expect((error as Error).message).toContain(`model "${MODELS.robin}" (ROBIN) is not available`);
      expect((error as ModelUnavailableError).hint).toContain(`ollama pull ${MODELS.robin}`);
    } finally {
      await h.close();
      ollama.setModels(undefined);
    }
  });

  it("BRICK's model without tool support, once tools are bound: the run says to pick a tool-capable model", async () => {
    ollama.setModels({ "phi3:mini": { capabilities: ["completion"] }, [MODELS.robin]: {}, [MODELS.babs]: {}, [MODELS.alfred]: {} });
    const h = await startGraph({
      ollama,
      env: { BRICK_MODEL: "phi3:mini" },
      checkpointer: false,
      builtins: [{ name: "echo_text", description: "Echoes.", schema: { type: "object", properties: {} }, run: async () => "x" }],
    });
    try {
      const error = await h.graph.invoke(turn("hello")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelUnavailableError);
      expect((error as Error).message).toContain('"phi3:mini" (BRICK) does not support tool calling');
      expect((error as ModelUnavailableError).hint).toContain("BRICK_MODEL");
    } finally {
      await h.close();
      ollama.setModels(undefined);
    }
  });
});
