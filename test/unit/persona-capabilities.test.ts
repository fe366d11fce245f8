import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ModelUnavailableError } from "../../src/errors.js";
import { assertPersonaModels, checkPersonaModels, requirePersonaModels } from "../../src/personas/index.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { unusedPort } from "../support/graph.js";

const MODELS = { BRICK_MODEL: "brick-m:8b", ROBIN_MODEL: "robin-m:9b", BABS_MODEL: "babs-m:7b", ALFRED_MODEL: "alfred-m:14b" };
const full = { capabilities: ["completion", "tools"] };
const noTools = { capabilities: ["completion"] };

describe("checkPersonaModels", () => {
  let ollama: ScriptedOllama;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
  });
  afterAll(async () => ollama.close());
  const config = () => loadConfig({ OLLAMA_HOST: ollama.url, ...MODELS });

  it("passes when every persona's model exists and BRICK's supports tools", async () => {
    ollama.setModels({ "brick-m:8b": full, "robin-m:9b": noTools, "babs-m:7b": full, "alfred-m:14b": noTools });
    const report = await checkPersonaModels(config());
    expect(report.ok).toBe(true);
    expect(report.ollama).toMatchObject({ reachable: true, version: "0.12.0" });
    expect(report.personas.map((p) => [p.persona, p.model, p.ok])).toEqual([
      ["brick", "brick-m:8b", true],
      ["robin", "robin-m:9b", true],
      ["babs", "babs-m:7b", true],
      ["alfred", "alfred-m:14b", true],
      ["forge", "alfred-m:14b", true],
    ]);
    expect(() => assertPersonaModels(report)).not.toThrow();
  });

  it("names a missing model with the exact `ollama pull` line", async () => {
    ollama.setModels({ "brick-m:8b": full, "babs-m:7b": full, "alfred-m:14b": full });
    const report = await checkPersonaModels(config());
    expect(report.ok).toBe(false);
    const robin = report.personas.find((p) => p.persona === "robin")!;
    expect(robin).toMatchObject({ exists: false, ok: false, fix: "ollama pull robin-m:9b" });
    const error = await requirePersonaModels(config()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toContain("ROBIN (ROBIN_MODEL=robin-m:9b)");
    expect((error as Error).message).toContain("ollama pull robin-m:9b");
  });

  it("fails BRICK when its model cannot call tools, not essentially (BRICK answers without), and says what to pull", async () => {
    ollama.setModels({ "brick-m:8b": noTools, "robin-m:9b": full, "babs-m:7b": full, "alfred-m:14b": full });
    const report = await checkPersonaModels(config());
    const brick = report.personas.find((p) => p.persona === "brick")!;
    expect(brick).toMatchObject({ exists: true, supportsTools: false, toolsRequired: true, ok: false, essential: false });
    expect(brick.problem).toMatch(/does not support tool calling.*answers without tools and forging is off/);
    expect(brick.fix).toBe('`ollama pull qwen3:8b`, then set BRICK_MODEL=qwen3:8b (or another model with the "tools" capability)');
    // The others do not need tools.
    expect(report.personas.filter((p) => p.persona !== "brick").every((p) => p.ok)).toBe(true);
    expect(report).toMatchObject({ ok: false, usable: true });
    expect(() => assertPersonaModels(report)).not.toThrow();
  });

  it("checks FORGE_MODEL too, and reads each model's context length", async () => {
    ollama.setModels({
      "brick-m:8b": { ...full, architecture: "qwen3", contextLength: 40_960 },
      "robin-m:9b": { ...full, contextLength: 8_192 },
      "babs-m:7b": full,
      "alfred-m:14b": full,
    });
    const report = await checkPersonaModels(loadConfig({ OLLAMA_HOST: ollama.url, ...MODELS, FORGE_MODEL: "coder:absent" }));
    const forge = report.personas.find((p) => p.persona === "forge")!;
    expect(forge).toMatchObject({
      variable: "FORGE_MODEL",
      model: "coder:absent",
      exists: false,
      ok: false,
      essential: true,
      fix: "ollama pull coder:absent",
    });
    expect(report).toMatchObject({ ok: false, usable: false });
    expect(() => assertPersonaModels(report)).toThrow(/The forge \(FORGE_MODEL=coder:absent\)/);
    // num_ctx: NUM_CTX (16384 by default), at most the model's maximum.
    const brick = report.personas.find((p) => p.persona === "brick")!;
    const robin = report.personas.find((p) => p.persona === "robin")!;
    expect([brick.contextLength, brick.numCtx]).toEqual([40_960, 16_384]);
    expect([robin.contextLength, robin.numCtx]).toEqual([8_192, 8_192]);
  });

  it("asks Ollama once per distinct model", async () => {
    ollama.setModels(undefined);
    const before = ollama.requests.filter((r) => r.path === "/api/show").length;
    await checkPersonaModels(
      loadConfig({
        OLLAMA_HOST: ollama.url,
        BRICK_MODEL: "same:1b",
        ROBIN_MODEL: "same:1b",
        BABS_MODEL: "same:1b",
        ALFRED_MODEL: "other:1b",
      }),
    );
    const shows = ollama.requests.filter((r) => r.path === "/api/show").slice(before);
    expect(shows.map((r) => (r.body as { model: string }).model).sort()).toEqual(["other:1b", "same:1b"]);
  });

  it("says how to start Ollama when nothing answers at OLLAMA_HOST", async () => {
    const host = `http://127.0.0.1:${await unusedPort()}`;
    const report = await checkPersonaModels(loadConfig({ OLLAMA_HOST: host }));
    expect(report.ok).toBe(false);
    expect(report.ollama.reachable).toBe(false);
    expect(report.ollama.fix).toContain("ollama serve");
    expect(report.ollama.fix).toContain(host);
    expect(report.personas.every((p) => p.exists === null && !p.ok)).toBe(true);
    const error = await requirePersonaModels(loadConfig({ OLLAMA_HOST: host })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as ModelUnavailableError).hint).toContain("ollama serve");
  });
});
