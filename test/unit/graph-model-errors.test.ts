import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
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
    onTestFinished(() => h.close());
    const error = await h.graph.invoke(turn("hello")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toContain(`Ollama is not reachable at http://127.0.0.1:${port}`);
    expect((error as ModelUnavailableError).hint).toContain("ollama serve");
    expect((error as Error).message).toContain("BRICK");
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

  const echo = { name: "echo_text", description: "Echoes.", schema: { type: "object", properties: {} }, run: async () => "x" };

  it("BRICK's model without tool support still answers: no tools bound, forging off, a notice saying what to pull", async () => {
    ollama.setModels({ "phi3:mini": { capabilities: ["completion"] }, [MODELS.robin]: {}, [MODELS.babs]: {}, [MODELS.alfred]: {} });
    ollama.respondWith((request) =>
      request.model === "phi3:mini" ? "TOOL_REQUIRED: moon_phase: the moon's phase. Input: {date: string}." : `${request.model} answers`,
    );
    const h = await startGraph({ ollama, env: { BRICK_MODEL: "phi3:mini" }, checkpointer: false, builtins: [echo] });
    try {
      const before = ollama.chatRequests.length;
      const result = await h.graph.invoke(turn("hello"));
      const requests = ollama.chatRequests.slice(before);
      expect(requests.map((r) => r.model)).toEqual(["phi3:mini", MODELS.robin, MODELS.babs, MODELS.alfred]);
      expect(requests[0]!.tools ?? []).toEqual([]);
      expect(requests[0]!.messages.at(-1)!.content).toMatch(/your model cannot call tools here/);
      expect(result.pendingToolSpec).toBeNull();
      expect(result.forgesThisTurn).toBe(0);
      expect(result.notices).toEqual([expect.stringMatching(/"phi3:mini" cannot call tools.*ollama pull qwen3:8b/)]);
      expect(result.answer).toBe(`${MODELS.alfred} answers`);
    } finally {
      await h.close();
      ollama.setModels(undefined).respondWith(undefined);
    }
  });

  it("an older Ollama that refuses tools without reporting capabilities: BRICK asks again without tools, and remembers", async () => {
    ollama.setModels({
      "old:1b": { capabilities: ["completion"], reportCapabilities: false },
      [MODELS.robin]: {},
      [MODELS.babs]: {},
      [MODELS.alfred]: {},
    });
    ollama.respondWith((request) => `${request.model} answers`);
    const h = await startGraph({ ollama, env: { BRICK_MODEL: "old:1b" }, checkpointer: false, builtins: [echo] });
    try {
      const before = ollama.chatRequests.length;
      const first = await h.graph.invoke(turn("hello"));
      const second = await h.graph.invoke(turn("hello again"));
      const bricks = ollama.chatRequests.slice(before).filter((r) => r.model === "old:1b");
      expect(bricks.map((r) => r.tools?.length ?? 0)).toEqual([1, 0, 0]);
      expect(first.notices.join("\n")).toMatch(/"old:1b" cannot call tools/);
      expect(second.answer).toBe(`${MODELS.alfred} answers`);
    } finally {
      await h.close();
      ollama.setModels(undefined).respondWith(undefined);
    }
  });
});
