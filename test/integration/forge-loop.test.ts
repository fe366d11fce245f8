/**
 * The forge loop end to end on real parts: a real ChatOllama talking to the scripted Ollama server,
 * the real extract / transpile / audit, the real gVisor sandbox, a real SQLite store and mirror in
 * temporary directories, the live registry. Each sandbox validation is a gVisor job: keep it lean.
 */
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { OllamaUnreachableError } from "../../src/errors.js";
import type { PublishedEvent } from "../../src/events.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { describeSandbox } from "../support/sandbox.js";
import { fakeReportModule, greetMethodModule, reply, wordCountModule } from "./forge-fixtures.js";

const FORGE_MODEL = "forge-coder:test";
const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "modules");

describeSandbox("the forge loop on the real sandbox and store", (sandbox) => {
  let ollama: ScriptedOllama;
  let dir: string;
  let runtime: Runtime;
  let events: PublishedEvent[];

  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
  });
  afterAll(async () => {
    await ollama.close();
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-forge-"));
    const config = loadConfig({
      OLLAMA_HOST: ollama.url,
      FORGE_MODEL,
      DATA_DIR: path.join(dir, "data"),
      DYNAMIC_TOOLS_DIR: path.join(dir, "tools"),
      FORGE_MAX_ATTEMPTS: "3",
    });
    runtime = await createRuntime(config, { sandbox: sandbox() });
    events = [];
    runtime.bus.subscribe((e) => events.push(e));
    ollama.requests.length = 0;
  });
  afterEach(async () => {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });

  const prompts = () => ollama.chatRequests.map((r) => r.messages.map((m) => m.content).join("\n"));

  it("installs a good module on the first attempt: store, mirror, registry and a call in the sandbox", async () => {
    ollama.enqueue(reply(wordCountModule("word_count")));
    const outcome = await runtime.forge.forgeTool({ spec: "word_count: counts the words in a text" });
    expect(outcome).toMatchObject({ status: "installed", name: "word_count", version: 1, attempts: 1 });

    expect(ollama.chatRequests[0]?.model).toBe(FORGE_MODEL);
    const versions = await runtime.store.listToolVersions("word_count");
    expect(versions.map((v) => [v.version, v.status])).toEqual([[1, "active"]]);
    for (const file of ["source.ts", "module.mjs", "loader.mjs"]) {
      await access(path.join(runtime.config.dynamicToolsDir, "word_count", "v1", file));
    }
    expect((await runtime.registry.list()).map((t) => t.name)).toContain("word_count");
    await expect(runtime.registry.call("word_count", { text: "one two three four" })).resolves.toMatchObject({ ok: true, result: 4 });

    const run = await runtime.store.getForgeRun(outcome.runId);
    expect(run).toMatchObject({ status: "installed", result: { name: "word_count", version: 1 } });
    expect(run?.attempts).toHaveLength(1);
    expect(run?.attempts[0]).toMatchObject({ number: 1, stage: "install", outcome: "passed", failure: null });
    expect(run?.attempts[0]?.durations).toEqual(
      expect.objectContaining({
        model: expect.any(Number),
        transpile: expect.any(Number),
        audit: expect.any(Number),
        sandbox: expect.any(Number),
        install: expect.any(Number),
      }),
    );
    expect(events.map((e) => e.type)).toEqual(["forge.started", "forge.attempt", "tool.created", "tool.called"]);
    expect(events.find((e) => e.type === "tool.created")).toMatchObject({ name: "word_count", version: 1 });
  });

  it("feeds a failing test back and installs the fixed module on attempt 2, the second prompt quoting the assertion", async () => {
    ollama.enqueue(reply(wordCountModule("word_count", { bug: true })), reply(wordCountModule("word_count")));
    const outcome = await runtime.forge.forgeTool({ spec: "a tool named word_count that counts the words in a text" });
    expect(outcome).toMatchObject({ status: "installed", name: "word_count", version: 1, attempts: 2 });

    const run = await runtime.store.getForgeRun(outcome.runId);
    const first = run?.attempts[0];
    expect(first).toMatchObject({ number: 1, stage: "sandbox", outcome: "failed" });
    expect(first?.failure).toContain("three words in 'a b  c'");
    expect(first?.sandbox).not.toBeNull();
    expect(prompts()[1]).toContain("three words in 'a b  c'");
    expect(prompts()[1]).toContain("return words + 1;");
    expect(events.filter((e) => e.type === "forge.attempt")).toMatchObject([
      { attempt: 1, stage: "sandbox", outcome: "failed" },
      { attempt: 2, stage: "install", outcome: "passed" },
    ]);
  });

  it("after three failures installs nothing, records every attempt and announces forge.failed; each failure is fed back, and summarised for people", async () => {
    ollama.enqueue(
      "I would count the words by splitting on spaces.", // no code block at all
      reply(wordCountModule("word_count", { extraTest: 'eval("1 + 1");' })), // refused by the audit
      reply(wordCountModule("word_count", { bug: true })), // its own test fails in the sandbox
    );
    const outcome = await runtime.forge.forgeTool({ spec: "word_count: counts the words in a text" });
    expect(outcome).toMatchObject({ status: "failed", attempts: 3 });

    expect(await runtime.store.getTool("word_count")).toBeNull();
    expect(await runtime.registry.get("word_count")).toBeNull();
    const run = await runtime.store.getForgeRun(outcome.runId);
    expect(run?.status).toBe("failed");
    expect(run?.attempts.map((a) => [a.number, a.stage, a.outcome])).toEqual([
      [1, "extract", "failed"],
      [2, "audit", "failed"],
      [3, "sandbox", "failed"],
    ]);
    const auditFinding = run?.attempts[1]?.findings[0];
    expect(auditFinding?.line).toBeGreaterThan(0);

    expect(prompts()[1]).toMatch(/No ```typescript code block/);
    expect(prompts()[1]).toContain("I would count the words by splitting on spaces.");
    expect(prompts()[2]).toContain(`line ${auditFinding?.line}, column ${auditFinding?.column} [${auditFinding?.rule}]`);
    const failed = events.find((e) => e.type === "forge.failed");
    expect(failed).toMatchObject({ runId: outcome.runId });
    const reason = failed && "reason" in failed ? failed.reason : "";
    // Why it stopped, whole: the last attempt's failing assertion with its line, not a headline cut at a colon.
    expect(reason).toMatch(
      /^no module passed in 3 attempts; attempt 3 failed in the sandbox: test\(\) failed: AssertionError: .*\(line \d+\)$/,
    );
    expect(run?.error).toBe(reason);
    const summaries = events.flatMap((e) => (e.type === "forge.attempt" ? [e.failure] : []));
    expect(summaries[0]).toMatch(/^No ```typescript code block holding the module was found in the reply/);
    expect(summaries[1]).toBe(`it uses eval (line ${auditFinding?.line})`);
    expect(summaries[2]).toMatch(/^test\(\) failed: AssertionError: .*\(line \d+\)$/);
    for (const summary of summaries) expect(summary).not.toMatch(/:$|Rewrite it|ANSWER|```typescript\n/);
  });

  it("does not install a module that fakes a passing report (printed fake token; exit before the runner reports)", async () => {
    const exitEarly = await readFile(path.join(FIXTURES, "fake-report-print.ts"), "utf8");
    ollama.enqueue(reply(exitEarly), reply(fakeReportModule("sneaky_tool")));
    runtime = await reopenWithAttempts(runtime, 2);
    const outcome = await runtime.forge.forgeTool({ spec: "a tool that returns one" });
    expect(outcome).toMatchObject({ status: "failed", attempts: 2 });
    expect(await runtime.store.listTools()).toEqual([]);
    const run = await runtime.store.getForgeRun(outcome.runId);
    expect(run?.attempts.map((a) => a.outcome)).toEqual(["failed", "failed"]);
    // The second one passes the audit (console.log is allowed): the sandbox's token grading refuses it.
    expect(run?.attempts[1]).toMatchObject({ stage: "sandbox", outcome: "failed" });
    expect(run?.attempts[1]?.failure).toContain("the real check fails");
  });

  it("honours an abort signal while the model is answering: the run is recorded as failed and the call rejects", async () => {
    ollama.enqueue({ content: reply(wordCountModule("word_count")), chunkSize: 1, chunkDelayMs: 20 });
    const controller = new AbortController();
    const forging = runtime.forge.forgeTool({ spec: "word_count: counts words", signal: controller.signal });
    setTimeout(() => controller.abort(new Error("user cancelled")), 200);
    await expect(forging).rejects.toThrow(/user cancelled|abort/i);
    const [run] = await runtime.store.listForgeRuns({ limit: 1 });
    expect(run).toMatchObject({ status: "failed" });
    expect(run?.attempts[0]).toMatchObject({ stage: "model", outcome: "failed" });
    expect(events.at(-1)).toMatchObject({ type: "forge.failed" });
    expect(await runtime.store.getTool("word_count")).toBeNull();
  });

  it("rejects with ModelUnavailableError when the model cannot be reached, and records why", async () => {
    const config = { ...runtime.config, ollamaHost: "http://127.0.0.1:9" };
    const sandboxInUse = runtime.sandbox;
    await runtime.close();
    runtime = await createRuntime(config, { sandbox: sandboxInUse });
    const error = await runtime.forge.forgeTool({ spec: "word_count: counts words" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OllamaUnreachableError);
    expect(String((error as Error).message)).toContain("Ollama is not reachable at http://127.0.0.1:9");
    expect(String((error as Error).message)).toContain("ollama serve");
    const [run] = await runtime.store.listForgeRuns({ limit: 1 });
    expect(run).toMatchObject({ status: "failed", attempts: [{ stage: "model", outcome: "failed" }] });
  });

  it("counts a reply cut off mid-stream as a failed attempt and installs the next one (Ollama was up)", async () => {
    const whole = reply(wordCountModule("word_count"));
    ollama.enqueue({ content: whole, interrupt: { afterChars: 60 } }, whole);
    const outcome = await runtime.forge.forgeTool({ spec: "a tool named word_count that counts the words in a text" });
    expect(outcome).toMatchObject({ status: "installed", name: "word_count", attempts: 2 });
    const run = await runtime.store.getForgeRun(outcome.runId);
    expect(run?.attempts[0]).toMatchObject({ number: 1, stage: "model", outcome: "failed" });
    expect(run?.attempts[0]?.failure).toMatch(/cut off/);
  });

  it("reuses an active tool without calling the model, and forges version 2 when asked to improve it", async () => {
    ollama.enqueue(reply(wordCountModule("word_count")));
    await runtime.forge.forgeTool({ spec: "word_count: counts words" });
    const before = ollama.chatRequests.length;

    const reused = await runtime.forge.forgeTool({ spec: "word_count: counts the words in any text" });
    expect(reused).toMatchObject({ status: "reused", name: "word_count", version: 1, attempts: 0 });
    expect(ollama.chatRequests.length).toBe(before);
    expect(events.at(-1)).toMatchObject({ type: "forge.reused", name: "word_count", version: 1 });

    ollama.enqueue(reply(wordCountModule("word_count", { extraTest: 'assert.equal(word_count({ text: "x y" }), 2);' })));
    const improved = await runtime.forge.forgeTool({ spec: "word_count: counts words, also in two-word texts", improve: true });
    expect(improved).toMatchObject({ status: "installed", name: "word_count", version: 2 });
    expect(prompts().at(-1)).toContain("version 2");
    expect((await runtime.registry.get("word_count"))?.version).toBe(2);
  });

  it("serialises two forges of the same name: one installs, the other reuses it", async () => {
    ollama.enqueue(reply(wordCountModule("word_count")), reply(wordCountModule("word_count")));
    const [a, b] = await Promise.all([
      runtime.forge.forgeTool({ spec: "word_count: counts words" }),
      runtime.forge.forgeTool({ spec: "a tool named word_count" }),
    ]);
    expect([a.status, b.status].sort()).toEqual(["installed", "reused"]);
    expect(ollama.chatRequests).toHaveLength(1);
    expect((await runtime.store.listToolVersions("word_count")).map((v) => v.version)).toEqual([1]);
  });

  it("learns a method on an object: method contract, dry run on the receiver, method.learned", async () => {
    await runtime.store.ensureObject({ id: "greeter", attributes: { greetings: 5 } });
    ollama.enqueue(reply(greetMethodModule("greet")));
    const outcome = await runtime.forge.forgeMethod({
      objectId: "greeter",
      selector: "greet",
      receiver: { greetings: 5 },
      example: { args: ["Ada"], kwargs: {} },
    });
    expect(outcome).toMatchObject({ status: "installed", name: "greet", version: 1 });
    expect(prompts()[0]).toContain("method(self, ...args)");
    expect(prompts()[0]).toContain('"greetings": 5');
    const found = await runtime.store.lookupMethod("greeter", "greet");
    expect(found).toMatchObject({ holderId: "greeter", method: { selector: "greet", version: 1 } });
    expect(events.find((e) => e.type === "method.learned")).toMatchObject({ objectId: "greeter", selector: "greet", version: 1 });

    const again = await runtime.forge.forgeMethod({ objectId: "greeter", selector: "greet", receiver: {} });
    expect(again).toMatchObject({ status: "reused", version: 1 });
  });
});

/** The same data with a different FORGE_MAX_ATTEMPTS (the runtime given is closed). */
async function reopenWithAttempts(runtime: Runtime, attempts: number): Promise<Runtime> {
  const config = { ...runtime.config, forgeMaxAttempts: attempts };
  const sandbox = runtime.sandbox;
  await runtime.close();
  return createRuntime(config, { sandbox });
}
