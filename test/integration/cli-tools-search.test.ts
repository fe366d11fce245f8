/**
 * `toolforge tools search --local` ranks as BRICK's registry does (src/runtime.ts
 * toolRegistryOptions): with EMBED_MODEL set, the store's BM25 candidates are re-ranked by the
 * embeddings of the scripted Ollama, as GET /tools?q= and the agent rank them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openStore } from "../../src/store/index.js";
import { conceptVector } from "../fixtures/embeddings.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";
import { runCli, tempDirs } from "./cli-harness.js";

/** A stored tool that only its description tells apart. */
const tool = (toolName: string, description: string) => toolVersion(toolName, "return 1;", { description });

describe("toolforge tools search --local", () => {
  const dirs = tempDirs();
  let ollama: ScriptedOllama;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start({ embed: (text) => conceptVector(text) });
    const store = await openStore(loadConfig(dirs.env));
    try {
      await store.installToolVersion(tool("fast_food_menu", "Lists the dishes of a fast food restaurant."));
      await store.installToolVersion(tool("fast_fourier", "Computes a fast Fourier transform of a signal."));
      await store.installToolVersion(tool("car_top_speed", "Gives the top speed of a fast car model."));
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await ollama?.close();
    dirs.cleanup();
  });

  // One tool besides find_tools is bound, so the ranking decides which.
  const search = async (env: Record<string, string>) => {
    const args = ["tools", "search", "--local", "--json", "how", "fast", "can", "my", "automobile", "go"];
    const run = await runCli(args, { ...dirs.env, TOOL_BIND_LIMIT: "2", OLLAMA_HOST: ollama.url, ...env }, dirs.dir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return (JSON.parse(run.stdout) as { tools: { name: string; reason: string }[] }).tools;
  };

  it("re-ranks by embeddings with EMBED_MODEL, as the runtime's registry does", async () => {
    const plain = await search({});
    expect(plain.map((t) => t.name)).toHaveLength(2);
    expect(plain.find((t) => t.reason === "matched")?.name).not.toBe("car_top_speed");
    expect(ollama.requests.filter((r) => r.path === "/api/embed")).toHaveLength(0);

    const ranked = await search({ EMBED_MODEL: "nomic-embed-text" });
    expect(ranked).toEqual([
      { name: "find_tools", description: expect.any(String), origin: "builtin", reason: "find_tools" },
      // Stored without a forge run or a hand: "imported", as `tools list` says too.
      { name: "car_top_speed", description: "Gives the top speed of a fast car model.", origin: "imported", reason: "matched" },
    ]);
    const embeds = ollama.requests.filter((r) => r.path === "/api/embed");
    expect(embeds.length).toBeGreaterThan(0);
    expect(embeds[0]!.body).toMatchObject({ model: "nomic-embed-text" });
  });
});
