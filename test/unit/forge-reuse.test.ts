/**
 * Find before forging (src/forge/reuse.ts, forgeTool): a paraphrased spec is answered with the
 * tool the library already has, without a model call; a near miss is forged; `improve` forges on
 * purpose. A real SQLite store, the real ChatOllama against the scripted server; no sandbox (no
 * module here gets as far as validation).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { matchStrength, REUSE_THRESHOLD } from "../../src/forge/reuse.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { libraryFields } from "../../src/store/library-text.js";
import type { JsonObject, NewToolVersion } from "../../src/store/index.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";

function tool(toolName: string, description: string, properties: JsonObject = { text: { type: "string" } }): NewToolVersion {
  return toolVersion(toolName, "return 0;", { description, schema: { type: "object", properties } });
}

const hit = (name: string, description: string, properties: Record<string, unknown> = {}) => ({
  name,
  fields: libraryFields({
    kind: "tool",
    name,
    objectId: null,
    version: 1,
    description,
    schema: { type: "object", properties },
    spec: null,
  }),
});

describe("how strongly a tool matches a spec", () => {
  it("is high for a paraphrase and low for a near miss or the opposite conversion", () => {
    const wordCount = hit("word_count", "Counts the words in a text.", { text: {} });
    expect(matchStrength("count_words: number of words in a text", wordCount)).toBeGreaterThanOrEqual(REUSE_THRESHOLD);
    expect(
      matchStrength("count_consonants: number of consonants in a text", hit("count_vowels", "Counts the vowels in a text.")),
    ).toBeLessThan(REUSE_THRESHOLD);
    expect(matchStrength("reverse_words: reverses the order of the words in a text", wordCount)).toBeLessThan(REUSE_THRESHOLD);
    const toBinary = hit("decimal_to_binary", "Converts a decimal number to binary.");
    expect(matchStrength("decimal_to_binary: converts a decimal number to binary", toBinary)).toBeGreaterThanOrEqual(REUSE_THRESHOLD);
    expect(matchStrength("binary_to_decimal: converts a binary number to decimal", toBinary)).toBe(0);
  });
});

describe("the forge finds before it forges", () => {
  let ollama: ScriptedOllama;
  let dir: string;
  let runtime: Runtime;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start({ respond: () => "I cannot write that module." });
  });
  afterAll(async () => {
    await ollama.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-reuse-"));
    const config = loadConfig({
      OLLAMA_HOST: ollama.url,
      FORGE_MODEL: "forge-coder:test",
      DATA_DIR: path.join(dir, "data"),
      DYNAMIC_TOOLS_DIR: path.join(dir, "tools"),
      FORGE_MAX_ATTEMPTS: "1",
    });
    runtime = await createRuntime(config, { sandbox: refusingSandbox });
    await runtime.store.installToolVersion(tool("word_count", "Counts the words in a text."));
    await runtime.store.installToolVersion(tool("count_vowels", "Counts the vowels in a text."));
    await runtime.store.installToolVersion(
      tool("celsius_to_fahrenheit", "Converts a temperature from Celsius to Fahrenheit.", { celsius: { type: "number" } }),
    );
    ollama.requests.length = 0;
  });
  afterEach(async () => {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a paraphrased spec with the existing tool: status reused, no model call", async () => {
    const outcome = await runtime.forge.forgeTool({
      spec: "count_words: number of words in a text. Input: {text: string}. Output: number.",
    });
    expect(outcome).toMatchObject({ status: "reused", name: "word_count", version: 1, attempts: 0 });
    expect(ollama.chatRequests).toHaveLength(0);
    const run = await runtime.store.getForgeRun(outcome.runId);
    expect(run).toMatchObject({ status: "reused", target: "count_words", result: { name: "word_count", version: 1 } });
    expect(await runtime.store.getTool("count_words")).toBeNull();
  });

  it("forges a near miss instead of offering a tool that does something else", async () => {
    const outcome = await runtime.forge.forgeTool({
      spec: "count_consonants: number of consonants in a text. Input: {text: string}. Output: number.",
    });
    expect(outcome.status).toBe("failed"); // the scripted model writes no module
    expect(ollama.chatRequests).toHaveLength(1);
    const opposite = await runtime.forge.forgeTool({
      spec: "fahrenheit_to_celsius: converts Fahrenheit to Celsius. Input: {fahrenheit: number}. Output: number.",
    });
    expect(opposite.status).toBe("failed");
    expect(ollama.chatRequests).toHaveLength(2);
  });

  it("still forges a new version on purpose with improve", async () => {
    const outcome = await runtime.forge.forgeTool({ spec: "word_count: counts the words in a text", improve: true });
    expect(outcome.status).toBe("failed");
    expect(ollama.chatRequests).toHaveLength(1);
  });
});
