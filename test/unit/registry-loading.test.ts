/**
 * The registry's loading and revision logic against a real SQLite store. No forged code runs in
 * these tests: the sandbox handed in refuses every job, so a test that reached it would fail.
 * Calls through the real gVisor sandbox are in test/integration/registry-*.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventBus, type PublishedEvent } from "../../src/events.js";
import { openStore } from "../../src/store/index.js";
import type { NewToolVersion } from "../../src/store/types.js";
import { createToolMirror } from "../../src/tools/mirror.js";
import { createToolRegistry, type BuiltinTool } from "../../src/tools/registry.js";
import { createRuntime } from "../../src/runtime.js";
import { REFUSED_MESSAGE, refusingSandbox } from "../support/refusing-sandbox.js";
import { tempStore, toolVersion, type TempStore } from "../support/store.js";

/** A version whose module returns `marker` (and whose source and description carry it). */
function markedVersion(name: string, marker: string): NewToolVersion {
  const compiled = `export const name = ${JSON.stringify(name)};\nexport default function f() { return ${JSON.stringify(marker)}; }\n`;
  return toolVersion(name, undefined, {
    compiled,
    source: `// ${marker}\n${compiled}`,
    description: `${name} (${marker})`,
    schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  });
}

const clock: BuiltinTool = {
  name: "echo_builtin",
  description: "Echoes its text (built in).",
  schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  run: async (args) => ({ echoed: args["text"] ?? null }),
};

let temp: TempStore;
let toolsDir: string;
let events: PublishedEvent[];
let bus: EventBus;

beforeEach(async () => {
  temp = await tempStore();
  toolsDir = await mkdtemp(path.join(os.tmpdir(), "toolforge-tools-"));
  bus = new EventBus();
  events = [];
  bus.subscribe((e) => events.push(e));
});
afterEach(async () => {
  await temp.cleanup();
  await rm(toolsDir, { recursive: true, force: true });
});

describe("the registry loads what the store says", () => {
  it("loads nothing at start or when a tool is bound, and a forged tool (rebuilding its mirror files from the store) when it is called", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    await temp.store.installToolVersion(markedVersion("beta_tool", "b1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    expect((await registry.list()).map((t) => [t.name, t.version, t.origin])).toEqual([
      ["alpha_tool", 1, "forged"],
      ["beta_tool", 1, "forged"],
    ]);
    await expect(readFile(path.join(toolsDir, "alpha_tool", "v1", "module.mjs"), "utf8")).rejects.toThrow(/ENOENT/);
    expect((await registry.langChainToolsFor(["alpha_tool"])).map((t) => t.name)).toEqual(["alpha_tool"]);
    await expect(readFile(path.join(toolsDir, "alpha_tool", "v1", "module.mjs"), "utf8")).rejects.toThrow(/ENOENT/);
    await registry.call("alpha_tool", { text: "x" }); // the sandbox refuses; the tool was loaded first
    const module = await readFile(path.join(toolsDir, "alpha_tool", "v1", "module.mjs"), "utf8");
    expect(module).toContain('"a1"');
    await expect(readFile(path.join(toolsDir, "beta_tool", "v1", "module.mjs"), "utf8")).rejects.toThrow(/ENOENT/);
    expect(registry.revision).toBe(await temp.store.registryRevision());
  });

  it("does not reload while the registry revision stays the same, and reloads when it moves", async () => {
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    expect(await registry.refresh()).toBe(false);
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    expect(await registry.refresh()).toBe(true);
    expect((await registry.get("alpha_tool"))?.version).toBe(1);
    expect(await registry.refresh()).toBe(false);
  });

  it("binds the new version after an install and the old one after a rollback", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a2"));
    expect((await registry.get("alpha_tool"))?.description).toBe("alpha_tool (a2)");
    const revisionBefore = registry.revision;
    await temp.store.rollbackTool("alpha_tool", 1);
    const bound = await registry.get("alpha_tool");
    expect(bound).toMatchObject({ version: 1, description: "alpha_tool (a1)" });
    expect(registry.revision).toBeGreaterThan(revisionBefore);
    const lcTools = await registry.langChainToolsFor(["alpha_tool"]);
    expect(lcTools.map((t) => t.description)).toEqual(["alpha_tool (a1)"]);
  });

  it("sees an install made through another store handle on the same file at its next refresh", async () => {
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    const other = await openStore(temp.config);
    try {
      await other.installToolVersion(markedVersion("beta_tool", "b1"));
    } finally {
      await other.close();
    }
    expect(await registry.refresh()).toBe(true);
    expect((await registry.list()).map((t) => t.name)).toEqual(["beta_tool"]);
  });

  it("rewrites a tampered mirror file from the store when it loads the version", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const first = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    await first.call("alpha_tool", { text: "x" });
    const file = path.join(toolsDir, "alpha_tool", "v1", "module.mjs");
    await writeFile(file, "globalThis.tampered = true;\n");
    const second = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    await second.call("alpha_tool", { text: "x" });
    expect(await readFile(file, "utf8")).toContain('"a1"');
  });

  it("keeps a bound tool's LangChain tool until its active version moves", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    const [first] = await registry.langChainToolsFor(["alpha_tool"]);
    await temp.store.installToolVersion(markedVersion("beta_tool", "b1"));
    expect((await registry.langChainToolsFor(["alpha_tool"]))[0]).toBe(first);
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a2"));
    const [second] = await registry.langChainToolsFor(["alpha_tool"]);
    expect(second).not.toBe(first);
    expect(second!.description).toBe("alpha_tool (a2)");
  });
});

describe("calls that never reach the sandbox", () => {
  it("answers an unknown tool with unknown_tool, naming the tools there are", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    const outcome = await registry.call("no_such_tool", {});
    expect(outcome).toMatchObject({ ok: false, kind: "unknown_tool" });
    expect(outcome.ok ? "" : outcome.error).toContain("alpha_tool");
  });

  it("refuses bad arguments on the host, names the field, and publishes tool.called", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    const outcome = await registry.call("alpha_tool", { text: 7 });
    expect(outcome).toMatchObject({ ok: false, kind: "invalid_arguments" });
    expect(outcome.ok ? "" : outcome.error).toContain("`text` must be string");
    expect(events.filter((e) => e.type === "tool.called")).toMatchObject([{ name: "alpha_tool", outcome: "error" }]);
  });

  it("publishes tool.called with the version called: the active one at the call, a built-in's 1, null for no such tool", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      builtins: [clock],
      findTools: false,
    });
    await registry.call("alpha_tool", { text: 1 }); // refused on the host: v1 was called all the same
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a2"));
    await registry.call("alpha_tool", { text: 2 });
    await temp.store.rollbackTool("alpha_tool");
    await registry.call("alpha_tool", { text: 3 });
    await registry.call("echo_builtin", { text: "hi" });
    await registry.call("no_such_tool", {});
    const called = events.flatMap((e) => (e.type === "tool.called" ? [[e.name, e.version, e.outcome]] : []));
    expect(called).toEqual([
      ["alpha_tool", 1, "error"],
      ["alpha_tool", 2, "error"],
      ["alpha_tool", 1, "error"],
      ["echo_builtin", 1, "ok"],
      ["no_such_tool", null, "error"],
    ]);
  });

  it("runs built-in tools as ordinary entries, and a built-in wins over a forged tool of the same name", async () => {
    await temp.store.installToolVersion(markedVersion("echo_builtin", "forged"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
      builtins: [clock],
    });
    expect(await registry.get("echo_builtin")).toMatchObject({ origin: "builtin" });
    expect(registry.loadProblems.map((p) => p.name)).toEqual(["echo_builtin"]);
    await expect(registry.call("echo_builtin", { text: "hi" })).resolves.toMatchObject({ ok: true, result: { echoed: "hi" } });
  });

  it("turns a sandbox that cannot run into a sandbox outcome instead of throwing", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    const outcome = await registry.call("alpha_tool", { text: "x" });
    expect(outcome).toMatchObject({ ok: false, kind: "sandbox" });
    expect(outcome.ok ? "" : outcome.error).toContain(REFUSED_MESSAGE);
  });
});

describe("a library too large to load whole", () => {
  it("counts, searches and binds by name through the store, loading only what is bound", async () => {
    for (let i = 0; i < 30; i++) await temp.store.installToolVersion(markedVersion(`filler_tool_${i}`, `f${i}`));
    await temp.store.installToolVersion({
      ...markedVersion("celsius_to_fahrenheit", "c"),
      description: "Converts Celsius degrees to Fahrenheit.",
    });
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      builtins: [clock],
    });
    expect(await registry.count()).toBe(33); // 31 forged + echo_builtin + find_tools
    const matches = await registry.search("convert 30 degrees celsius to fahrenheit", { limit: 3 });
    expect(matches[0]).toMatchObject({ name: "celsius_to_fahrenheit", origin: "forged" });
    expect((await registry.search("echo this text back"))[0]).toMatchObject({ name: "echo_builtin", origin: "builtin" });
    const tools = await registry.langChainToolsFor(["celsius_to_fahrenheit", "no_such_tool", "echo_builtin", "celsius_to_fahrenheit"]);
    expect(tools.map((t) => t.name)).toEqual(["celsius_to_fahrenheit", "echo_builtin"]);
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(toolsDir)).toEqual([]); // binding loads nothing
    await registry.call("celsius_to_fahrenheit", { text: "x" });
    expect(await readdir(toolsDir)).toEqual(["celsius_to_fahrenheit"]);
  });

  it("re-checks a bound tool against the store after the revision moves, and binds the new version", async () => {
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: false,
    });
    const [v1] = await registry.langChainToolsFor(["alpha_tool"]);
    expect(await registry.langChainToolsFor(["alpha_tool"])).toEqual([v1]);
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a2"));
    const [v2] = await registry.langChainToolsFor(["alpha_tool"]);
    expect(v2).not.toBe(v1);
    expect(v2!.description).toBe("alpha_tool (a2)");
  });

  it("find_tools answers with names and one-line descriptions, best first, and names close tools for an unknown one", async () => {
    await temp.store.installToolVersion({ ...markedVersion("word_count", "w"), description: "Counts the words in a text.\nSecond line." });
    await temp.store.installToolVersion({ ...markedVersion("reverse_text", "r"), description: "Reverses a text." });
    const registry = await createToolRegistry({
      store: temp.store,
      sandbox: refusingSandbox,
      bus,
      mirror: createToolMirror(toolsDir),
      findTools: { limit: 1 },
    });
    const found = await registry.call("find_tools", { query: "how many words" });
    expect(found).toMatchObject({ ok: true, result: { tools: [{ name: "word_count", description: "Counts the words in a text." }] } });
    const unknown = await registry.call("count_words", {});
    expect(unknown).toMatchObject({ ok: false, kind: "unknown_tool" });
    expect(unknown.ok ? "" : unknown.error).toMatch(/closest: word_count.*find_tools searches the library/);
  });
});

describe("the runtime that wires the registry", () => {
  it("closes the store it opened, leaves parts passed in open, and can be closed twice", async () => {
    const config = { ...temp.config, dataDir: path.join(toolsDir, "runtime-data"), dynamicToolsDir: path.join(toolsDir, "runtime-tools") };
    const runtime = await createRuntime(config, { sandbox: refusingSandbox });
    await temp.store.installToolVersion(markedVersion("alpha_tool", "a1"));
    expect((await runtime.registry.list()).map((t) => t.name)).toEqual(["find_tools"]); // its own store, not temp.store
    await runtime.close();
    await expect(runtime.close()).resolves.toBeUndefined();
    await expect(runtime.store.registryRevision()).rejects.toThrow();

    const shared = await createRuntime(temp.config, { store: temp.store, sandbox: refusingSandbox });
    expect((await shared.registry.list()).map((t) => t.name)).toEqual(["alpha_tool", "find_tools"]);
    await shared.close();
    await expect(temp.store.registryRevision()).resolves.toBeGreaterThan(0);
  });
});
