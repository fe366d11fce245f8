/**
 * The live registry on real parts: tools forged through the real loop (scripted Ollama + real
 * ChatOllama, real gVisor sandbox, SQLite store in a temporary directory), then called, rolled
 * back, reloaded after a "restart" with the mirror deleted, seen by a second registry sharing the
 * store, and failing in the ways a call can fail.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config.js";
import type { PublishedEvent } from "../../src/events.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { describeSandbox } from "../support/sandbox.js";
import { reply, versionedModule, wordCountModule } from "./forge-fixtures.js";

describeSandbox("the live registry on the real sandbox and store", (sandbox) => {
  let ollama: ScriptedOllama;
  let dir: string;
  let config: Config;
  let runtime: Runtime;
  let events: PublishedEvent[];

  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
    dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-registry-"));
    config = loadConfig({
      OLLAMA_HOST: ollama.url,
      FORGE_MODEL: "forge-coder:test",
      DATA_DIR: path.join(dir, "data"),
      DYNAMIC_TOOLS_DIR: path.join(dir, "tools"),
      SANDBOX_TIMEOUT_MS: "3000",
    });
    runtime = await createRuntime(config, { sandbox: sandbox() });
    events = [];
    runtime.bus.subscribe((e) => events.push(e));
    ollama.enqueue(reply(versionedModule("shout", "v1")), reply(versionedModule("shout", "v2")));
    expect(await runtime.forge.forgeTool({ spec: "shout: upper-cases a text" })).toMatchObject({ status: "installed", version: 1 });
    expect(await runtime.forge.forgeTool({ spec: "shout: upper-cases a text, better", improve: true })).toMatchObject({
      status: "installed",
      version: 2,
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await ollama?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("binds the newest version, and the previous one after a rollback (the revision moves)", async () => {
    await expect(runtime.registry.call("shout", { text: "hey" })).resolves.toMatchObject({ ok: true, result: "v2:HEY" });
    const before = runtime.registry.revision;
    await runtime.store.rollbackTool("shout");
    const tools = await runtime.registry.langChainToolsFor(["shout"]);
    expect(runtime.registry.revision).toBeGreaterThan(before);
    expect(tools.find((t) => t.name === "shout")?.description).toBe("Shouts a text (v1).");
    await expect(runtime.registry.call("shout", { text: "hey" })).resolves.toMatchObject({ ok: true, result: "v1:HEY" });
  });

  it("comes back after a restart from the store alone: the deleted mirror is rebuilt and the tool behaves the same", async () => {
    const expected = await runtime.registry.call("shout", { text: "same" });
    expect(expected.ok).toBe(true);
    await runtime.close();
    await rm(config.dynamicToolsDir, { recursive: true, force: true });

    runtime = await createRuntime(config, { sandbox: sandbox() });
    events = [];
    runtime.bus.subscribe((e) => events.push(e));
    const active = await runtime.store.getTool("shout");
    const loader = path.join(config.dynamicToolsDir, "shout", `v${active?.activeVersion}`, "loader.mjs");
    const again = await runtime.registry.call("shout", { text: "same" }); // loaded (and its mirror rebuilt) on first use
    expect(again).toMatchObject({ ok: true, result: expected.ok ? expected.result : null });
    expect((await stat(loader)).isFile()).toBe(true);
  });

  it("a second registry on the same store file sees an install made through the first at its next refresh", async () => {
    const second = await createRuntime(config, { sandbox: sandbox() });
    try {
      expect(await second.registry.get("word_count")).toBeNull();
      ollama.enqueue(reply(wordCountModule("word_count")));
      expect(await runtime.forge.forgeTool({ spec: "word_count: counts words" })).toMatchObject({ status: "installed" });
      expect(await second.registry.refresh()).toBe(true);
      expect((await second.registry.langChainToolsFor(["word_count"])).map((t) => t.name)).toEqual(["word_count"]);
    } finally {
      await second.close();
    }
  });

  it("returns bad arguments as an outcome naming the field, without running anything", async () => {
    const outcome = await runtime.registry.call("shout", { text: "x", volume: 11 });
    expect(outcome).toMatchObject({ ok: false, kind: "invalid_arguments" });
    expect(outcome.ok ? "" : outcome.error).toContain("`volume` is not an accepted field");
    const missing = await runtime.registry.call("shout", {});
    expect(missing.ok ? "" : missing.error).toContain("`text` is required");
  });

  it("returns a throw from the tool as a threw outcome with its message, and publishes tool.called", async () => {
    const outcome = await runtime.registry.call("shout", { text: "boom", mode: "throw" });
    expect(outcome).toMatchObject({ ok: false, kind: "threw" });
    expect(outcome.ok ? "" : outcome.error).toContain("RangeError: asked to throw: boom");
    expect(events.filter((e) => e.type === "tool.called").at(-1)).toMatchObject({ name: "shout", outcome: "error" });
  });

  it("stops a tool that runs too long and returns a timeout outcome", async () => {
    const outcome = await runtime.registry.call("shout", { text: "forever", mode: "spin" });
    expect(outcome).toMatchObject({ ok: false, kind: "timeout" });
    expect(outcome.ok ? "" : outcome.error).toContain("3000 ms");
  });

  it("stops a spinning tool at once when the caller's signal aborts, with an aborted outcome, long before its timeout", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const outcome = await runtime.registry.call("shout", { text: "forever", mode: "spin" }, { signal: stop.signal });
    expect(outcome).toMatchObject({ ok: false, kind: "aborted" });
    expect(outcome.durationMs).toBeLessThan(2_500);
    expect(events.filter((e) => e.type === "tool.called").at(-1)).toMatchObject({ name: "shout", outcome: "error" });
    // An already aborted signal runs nothing.
    expect(await runtime.registry.call("shout", { text: "x" }, { signal: AbortSignal.abort() })).toMatchObject({
      ok: false,
      kind: "aborted",
    });
  });
});
