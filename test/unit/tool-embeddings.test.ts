/**
 * Semantic ranking (EMBED_MODEL): the registry's search re-ranks the store's BM25 candidates by
 * Ollama embeddings from /api/embed (the scripted server, real HTTP), and keeps the BM25 order when
 * the embedding model is unavailable.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventBus } from "../../src/events.js";
import { createEmbeddingRerank } from "../../src/tools/embeddings.js";
import { createToolMirror } from "../../src/tools/mirror.js";
import { createToolRegistry } from "../../src/tools/registry.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { conceptVector } from "../fixtures/embeddings.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { tempStore, toolVersion, type TempStore } from "../support/store.js";

/** A stored tool that only its description tells apart. */
const tool = (toolName: string, description: string) => toolVersion(toolName, "return 1;", { description });

describe("re-ranking the library search with embeddings", () => {
  let temp: TempStore;
  let dir: string;
  let ollama: ScriptedOllama;
  beforeEach(async () => {
    temp = await tempStore();
    dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-embed-"));
    ollama = await ScriptedOllama.start({ embed: (text) => conceptVector(text) });
    await temp.store.installToolVersion(tool("fast_food_menu", "Lists the dishes of a fast food restaurant."));
    await temp.store.installToolVersion(tool("fast_fourier", "Computes a fast Fourier transform of a signal."));
    await temp.store.installToolVersion(tool("car_top_speed", "Gives the top speed of a fast car model."));
  });
  afterEach(async () => {
    await ollama.close();
    await temp.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (rerank?: ReturnType<typeof createEmbeddingRerank>) =>
    createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus: new EventBus(),
      mirror: createToolMirror(dir),
      findTools: false,
      ...(rerank ? { rerank } : {}),
    });
  const query = "how fast can my automobile go";

  it("moves the candidate closest in meaning to the top, asking /api/embed with EMBED_MODEL", async () => {
    const plain = await (await open()).search(query, { limit: 3 });
    expect(plain.map((m) => m.name)).toHaveLength(3);
    expect(plain[0]!.name).not.toBe("car_top_speed");

    const registry = await open(createEmbeddingRerank({ ollamaHost: ollama.url, model: "nomic-embed-text" }));
    const ranked = await registry.search(query, { limit: 3 });
    expect(ranked[0]!.name).toBe("car_top_speed");
    const embeds = ollama.requests.filter((r) => r.path === "/api/embed");
    expect(embeds).toHaveLength(1);
    expect(embeds[0]!.body).toMatchObject({ model: "nomic-embed-text", input: expect.arrayContaining([query]) });
    await registry.search(query, { limit: 3 });
    expect((ollama.requests.filter((r) => r.path === "/api/embed").at(-1)!.body as { input: string[] }).input).toEqual([query]); // tools' vectors are cached
  });

  it("keeps the BM25 order when the embedding model is not there", async () => {
    ollama.setModels({ "llama3.1:8b": {} });
    const plain = await (await open()).search(query, { limit: 3 });
    const registry = await open(createEmbeddingRerank({ ollamaHost: ollama.url, model: "missing-embedder" }));
    expect((await registry.search(query, { limit: 3 })).map((m) => m.name)).toEqual(plain.map((m) => m.name));
  });
});
