/**
 * The forge and the tool call, measured on the real parts: a real ChatOllama talking to an instant
 * scripted Ollama server, the real transpile + audit, the real gVisor sandbox, the real SQLite
 * store and mirror. Every run after the first forges a new version of the same tool (`improve`),
 * so find-before-forging never turns a run into a reuse: each one is a whole forge.
 *   forge: total, and its split into model, transpile+audit, sandbox validation and install
 *          (from the durations recorded for each attempt in the store)
 *   call:  one tool call, schema check on the host + the sandbox job
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config.js";
import { createRuntime } from "../src/runtime.js";
import { summarise, type BenchRow } from "./stats.js";
import { ScriptedOllama, type OllamaChatRequest } from "../test/support/scripted-ollama.js";
import { reply, wordCountModule } from "../test/integration/forge-fixtures.js";

export const title = "forge";

const RUNS = Number(process.env["BENCH_FORGE_RUNS"] ?? 20);

function requestedName(request: OllamaChatRequest): string {
  const prompt = request.messages.map((m) => m.content).join("\n");
  const match = /(?:must be exactly|keep the name) "([a-z][a-z0-9_]*)"/.exec(prompt);
  if (!match?.[1]) throw new Error("the bench spec names its tool; the prompt should say so");
  return match[1];
}

export async function run(): Promise<BenchRow[]> {
  const ollama = await ScriptedOllama.start({
    respond: (request) => ({ content: reply(wordCountModule(requestedName(request))), chunkSize: 4096 }),
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-bench-forge-"));
  const config = loadConfig({
    ...process.env,
    OLLAMA_HOST: ollama.url,
    DATA_DIR: path.join(dir, "data"),
    DYNAMIC_TOOLS_DIR: path.join(dir, "tools"),
    FORGE_MAX_ATTEMPTS: "1",
  });
  const runtime = await createRuntime(config);
  try {
    const total: number[] = [];
    const stages: Record<"model" | "transpileAudit" | "sandbox" | "install", number[]> = {
      model: [],
      transpileAudit: [],
      sandbox: [],
      install: [],
    };
    const name = `bench_words_${Date.now().toString(36)}`;
    for (let i = 0; i < RUNS + 1; i++) {
      const start = performance.now();
      const outcome = await runtime.forge.forgeTool({ spec: `${name}: counts the words in a text`, ...(i > 0 ? { improve: true } : {}) });
      const elapsed = performance.now() - start;
      if (outcome.status !== "installed") throw new Error(`bench forge of ${name} did not install: ${JSON.stringify(outcome)}`);
      if (i === 0) continue; // warm-up: first esbuild service start, first container
      const attempt = (await runtime.store.getForgeRun(outcome.runId))?.attempts[0];
      if (!attempt) throw new Error(`no attempt recorded for ${name}`);
      const d = attempt.durations;
      total.push(elapsed);
      stages.model.push(d.model ?? NaN);
      stages.transpileAudit.push((d.transpile ?? 0) + (d.audit ?? 0));
      stages.sandbox.push(d.sandbox ?? NaN);
      stages.install.push(d.install ?? NaN);
    }
    const calls: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const start = performance.now();
      const outcome = await runtime.registry.call(name, { text: `one two three ${i}` });
      const elapsed = performance.now() - start;
      if (!outcome.ok || outcome.result !== 4) throw new Error(`bench call returned ${JSON.stringify(outcome)}`);
      if (i > 0) calls.push(elapsed);
    }
    const note = `${config.sandbox.runtime}, pool ${config.sandbox.poolSize}`;
    return [
      summarise("forge", "forge a tool (1 attempt, total)", total, note),
      summarise("forge", "  model (instant scripted Ollama)", stages.model),
      summarise("forge", "  transpile + audit", stages.transpileAudit),
      summarise("forge", "  sandbox validation", stages.sandbox, note),
      summarise("forge", "  install (store + mirror + rebind)", stages.install),
      summarise("forge", "tool call (schema check + sandbox)", calls, note),
    ];
  } finally {
    await runtime.close();
    await ollama.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
