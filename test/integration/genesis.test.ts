/**
 * Genesis against a real SQLite store in a temp dir, the real Docker check, and the scripted Ollama
 * for /api/show and /api/create: the first run creates the root objects and the persona models
 * (FROM the base model, SYSTEM the persona's role, ADAPTER when configured); the second run changes
 * nothing and says "exists"; an unreachable Ollama or a missing base model is skipped with the fix.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, type Config, type Env } from "../../src/config.js";
import { runGenesis, type GenesisReport } from "../../src/genesis/index.js";
import { PERSONAS } from "../../src/personas/registry.js";
import { openStore } from "../../src/store/index.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";

const BASES = { BRICK_MODEL: "llama3.1:8b", ROBIN_MODEL: "gemma2:9b", BABS_MODEL: "qwen2.5:7b", ALFRED_MODEL: "phi3:medium" };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempConfig(env: Env): Config {
  const root = mkdtempSync(path.join(os.tmpdir(), "toolforge-genesis-"));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const sandboxEnv: Env = {};
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith("SANDBOX_")) sandboxEnv[name] = value;
  return loadConfig({ ...sandboxEnv, ...BASES, DATA_DIR: path.join(root, "data"), DYNAMIC_TOOLS_DIR: path.join(root, "tools"), ...env });
}

async function scriptedOllama(models: string[]): Promise<ScriptedOllama> {
  const ollama = await ScriptedOllama.start({ models: Object.fromEntries(models.map((m) => [m, {}])) });
  cleanups.push(() => ollama.close());
  return ollama;
}

async function genesis(config: Config): Promise<{ report: GenesisReport; lines: string[] }> {
  const lines: string[] = [];
  const report = await runGenesis(config, { log: (line) => lines.push(line) });
  return { report, lines };
}

function creates(ollama: ScriptedOllama): Record<string, unknown>[] {
  return ollama.requests.filter((r) => r.path === "/api/create").map((r) => r.body as Record<string, unknown>);
}

function statusOf(report: GenesisReport, name: string): string | undefined {
  return report.steps.find((s) => s.name === name)?.status;
}

describe("genesis", () => {
  it("sets everything up on the first run and changes nothing on the second", async () => {
    const ollama = await scriptedOllama(Object.values(BASES));
    const config = tempConfig({ OLLAMA_HOST: ollama.url });

    const first = await genesis(config);
    expect(first.report.ok).toBe(true);
    expect(statusOf(first.report, "store")).toBe("created");
    expect(first.report.steps.find((s) => s.name === "store")!.detail).toContain("root objects nil and system created");
    const made = creates(ollama);
    expect(made.map((c) => [c.model, c.from, c.system])).toEqual([
      ["toolforge-brick", BASES.BRICK_MODEL, PERSONAS.brick.role],
      ["toolforge-robin", BASES.ROBIN_MODEL, PERSONAS.robin.role],
      ["toolforge-babs", BASES.BABS_MODEL, PERSONAS.babs.role],
      ["toolforge-alfred", BASES.ALFRED_MODEL, PERSONAS.alfred.role],
    ]);
    expect(made.every((c) => c.adapters === undefined)).toBe(true);
    expect(first.lines).toHaveLength(first.report.steps.length);

    const second = await genesis(config);
    expect(second.report.ok).toBe(true);
    const sandboxStatus = statusOf(second.report, "sandbox image");
    for (const step of second.report.steps) {
      if (step.name === "sandbox image" && sandboxStatus === "skipped") continue; // no Docker here: skipped both times
      expect([step.name, step.status]).toEqual([step.name, "exists"]);
    }
    expect(second.report.steps.map((s) => s.name)).toEqual(first.report.steps.map((s) => s.name));
    expect(creates(ollama)).toHaveLength(4);

    // Serving with BRICK_MODEL=toolforge-brick: genesis builds it from the base it remembers.
    const third = await genesis({ ...config, models: { ...config.models, brick: "toolforge-brick" } });
    expect(third.report.steps.find((s) => s.name === "model toolforge-brick")).toMatchObject({ status: "exists" });
    expect(third.report.steps.find((s) => s.name === "model toolforge-brick")!.detail).toContain(`FROM ${BASES.BRICK_MODEL}`);
    expect(creates(ollama)).toHaveLength(4);

    const store = await openStore(config);
    try {
      expect((await store.listObjects()).map((o) => o.id).sort()).toEqual(["nil", "system"]);
    } finally {
      await store.close();
    }
  });

  it("skips the persona models with how to start Ollama when it is not reachable", async () => {
    const closed = await scriptedOllama([]);
    const url = closed.url;
    await closed.close();
    const config = tempConfig({ OLLAMA_HOST: url });
    const { report, lines } = await genesis(config);
    expect(report.ok).toBe(true);
    const step = report.steps.find((s) => s.name === "persona models")!;
    expect(step.status).toBe("skipped");
    expect(step.detail).toContain(`Ollama not reachable at ${url}`);
    expect(step.detail).toContain("ollama serve");
    expect(lines.join("\n")).toContain("skipped persona models");
  });

  it("skips a persona whose base model is missing, naming the pull command", async () => {
    const ollama = await scriptedOllama([BASES.BRICK_MODEL, BASES.ROBIN_MODEL, BASES.BABS_MODEL]);
    const config = tempConfig({ OLLAMA_HOST: ollama.url });
    const { report } = await genesis(config);
    const alfred = report.steps.find((s) => s.name === "model toolforge-alfred")!;
    expect(alfred.status).toBe("skipped");
    expect(alfred.detail).toContain(`ollama pull ${BASES.ALFRED_MODEL}`);
    expect(creates(ollama).map((c) => c.model)).not.toContain("toolforge-alfred");
  });

  it("uploads a configured LoRA adapter as a blob, attaches it, and re-creates the model when it changes", async () => {
    const ollama = await scriptedOllama(Object.values(BASES));
    const blobs = await blobServer(ollama.url);
    const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-adapter-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const adapter = path.join(dir, "brick-lora.gguf");
    writeFileSync(adapter, "adapter weights v1");
    const config = tempConfig({ OLLAMA_HOST: blobs.url, BRICK_ADAPTER: adapter });

    const first = await genesis(config);
    expect(statusOf(first.report, "model toolforge-brick")).toBe("created");
    const digest = `sha256:${createHash("sha256").update(readFileSync(adapter)).digest("hex")}`;
    const brick = creates(ollama).find((c) => c.model === "toolforge-brick")!;
    expect(brick.adapters).toEqual({ "brick-lora.gguf": digest });
    expect(blobs.stored.get(digest)).toBe("adapter weights v1");

    writeFileSync(adapter, "adapter weights v2");
    const second = await genesis(config);
    expect(statusOf(second.report, "model toolforge-brick")).toBe("updated");
    expect(statusOf(second.report, "model toolforge-robin")).toBe("exists");
    expect(creates(ollama).filter((c) => c.model === "toolforge-brick")).toHaveLength(2);
  });
});

/** Ollama's blob routes (HEAD/POST /api/blobs/:digest) in front of the scripted Ollama, which has none. */
async function blobServer(upstream: string): Promise<{ url: string; stored: Map<string, string> }> {
  const stored = new Map<string, string>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const blob = /^\/api\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? "");
    if (blob) {
      const digest = blob[1]!;
      if (req.method === "HEAD") return res.writeHead(stored.has(digest) ? 200 : 404).end();
      if (`sha256:${createHash("sha256").update(body).digest("hex")}` !== digest) return res.writeHead(400).end("digest mismatch");
      stored.set(digest, body.toString("utf8"));
      return res.writeHead(201).end();
    }
    const forwarded = await fetch(`${upstream}${req.url}`, {
      method: req.method!,
      headers: { "content-type": "application/json" },
      body: body.length ? body : null,
    });
    res.writeHead(forwarded.status, { "content-type": forwarded.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stored };
}
