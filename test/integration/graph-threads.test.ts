/**
 * Conversations continue by thread_id through the store's checkpointer (SQLite in DATA_DIR): a
 * second invoke sees the first turn, also after the graph is rebuilt from the same data directory.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AIMessage, type HumanMessage } from "@langchain/core/messages";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { echoLastQuestion, type GraphHarness, MODELS, startGraph, turn } from "../support/graph.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { tempStore } from "../support/store.js";
import { createToolForge } from "../../src/index.js";
import { isUserMessage } from "../../src/graph/conversation.js";

describe("threads", () => {
  let ollama: ScriptedOllama;
  let h: GraphHarness;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start({ respond: echoLastQuestion });
    h = await startGraph({ ollama });
  });
  afterAll(async () => {
    await h?.close();
    await ollama?.close();
  });

  it("a second invoke on the same thread sees the first turn; another thread does not", async () => {
    const first = await h.graph.invoke(turn("My name is Ada."), h.thread("ada"));
    const before = ollama.chatRequests.length;
    const second = await h.graph.invoke(turn("What is my name?"), h.thread("ada"));
    const brickRequest = ollama.chatRequests[before]!;

    // BRICK sees the first turn as it happened (the team's notes and ALFRED's answer), then the new question.
    const seen = brickRequest.messages.map((m) => [m.role, m.content]).slice(1);
    expect(seen[0]).toEqual(["user", "My name is Ada."]);
    expect(seen.slice(-2)).toEqual([
      ["assistant", first.answer],
      ["user", "What is my name?"],
    ]);
    expect(seen.filter(([role]) => role === "assistant")).toHaveLength(4);
    expect(second.messages.filter(isUserMessage).map((m) => m.content)).toEqual(["My name is Ada.", "What is my name?"]);
    expect(second.answer).toBe(`${MODELS.alfred} on "What is my name?"`);

    const state = await h.graph.getState(h.thread("ada"));
    expect(state.values.answer).toBe(second.answer);
    expect(state.values.messages.filter((m: AIMessage) => AIMessage.isInstance(m) && m.name === "alfred")).toHaveLength(2);

    const other = await h.graph.invoke(turn("Who am I?"), h.thread("someone-else"));
    expect(other.messages.filter(isUserMessage)).toHaveLength(1);
  });

  it("continues after the graph is rebuilt from the same data directory", async () => {
    await h.graph.invoke(turn("Remember the number 42."), h.thread("restart"));
    await h.close({ keepData: true });
    const rebuilt = await startGraph({ ollama, dataDir: h.dataDir });
    h = rebuilt;

    const state = await h.graph.getState(h.thread("restart"));
    expect(state.values.messages.map((m: HumanMessage) => m.content)[0]).toBe("Remember the number 42.");

    const before = ollama.chatRequests.length;
    const result = await h.graph.invoke(turn("Which number?"), h.thread("restart"));
    const brickRequest = ollama.chatRequests[before]!;
    expect(brickRequest.messages.some((m) => m.role === "user" && m.content === "Remember the number 42.")).toBe(true);
    expect(brickRequest.messages.some((m) => m.role === "assistant" && m.content === `${MODELS.alfred} on "Remember the number 42."`)).toBe(
      true,
    );
    expect(result.messages.filter(isUserMessage).map((m) => m.content)).toEqual(["Remember the number 42.", "Which number?"]);
  });

  it("createToolForge keeps threads in the store it is given, and its close leaves a store passed in open", async () => {
    const temp = await tempStore();
    try {
      const config = { ...temp.config, ollamaHost: ollama.url, dynamicToolsDir: path.join(temp.dataDir, "dynamic_tools") };
      const first = await createToolForge({ config, store: temp.store, sandbox: refusingSandbox });
      expect(first.runtime.store).toBe(temp.store);
      await first.graph.invoke(turn("Kept in the given store."), { configurable: { thread_id: "given" } });
      await first.close();
      await first.close(); // twice is fine

      // The store still works, and a graph built on it again sees the thread.
      expect(await temp.store.registryRevision()).toBeGreaterThanOrEqual(0);
      const second = await createToolForge({ config, store: temp.store, sandbox: refusingSandbox });
      const state = await second.graph.getState({ configurable: { thread_id: "given" } });
      expect(state.values.messages[0].content).toBe("Kept in the given store.");
      expect(state.values.answer).toBe(`${config.models.alfred} on "Kept in the given store."`);
      await second.close();
    } finally {
      await temp.cleanup();
    }
  });
});
