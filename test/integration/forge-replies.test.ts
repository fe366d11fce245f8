/**
 * Replies the way local models write them, through the real forge loop: a real ChatOllama talking
 * to the scripted Ollama server, the real extract / transpile / audit, the real gVisor sandbox, a
 * real SQLite store. Each case counts the model calls: a reply whose module is good installs on the
 * FIRST call, whatever its fence, its thinking or its assert import looks like.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { validateModule } from "../../src/admission/validate.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import {
  ASSERT_IMPORT_FORMS,
  bareCodeReply,
  commonJsReply,
  cutOffReply,
  deepseekThinkingReply,
  draftThenFixReply,
  exampleFirstReply,
  llamaUntaggedReply,
  qwen3LoneCloseReply,
  qwenCoderJsReply,
  wordCountWithAssertImport,
  WORD_COUNT_TS,
} from "../fixtures/replies.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { describeSandbox } from "../support/sandbox.js";

const SPEC = "word_count: counts the words in a text";
const ASSERT_FROM_ASSERT = ASSERT_IMPORT_FORMS[0]!;

describeSandbox("replies of real local models through the forge loop", (sandbox) => {
  let ollama: ScriptedOllama;
  let dir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
  });
  afterAll(async () => {
    await ollama.close();
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-replies-"));
    const config = loadConfig({
      OLLAMA_HOST: ollama.url,
      FORGE_MODEL: "local-coder:test",
      DATA_DIR: path.join(dir, "data"),
      DYNAMIC_TOOLS_DIR: path.join(dir, "tools"),
      FORGE_MAX_ATTEMPTS: "3",
    });
    runtime = await createRuntime(config, { sandbox: sandbox() });
    ollama.requests.length = 0;
  });
  afterEach(async () => {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Forges word_count from `replies` (one per model call) and returns the outcome and the calls made. */
  async function forge(...replies: string[]) {
    ollama.enqueue(...replies);
    const outcome = await runtime.forge.forgeTool({ spec: SPEC });
    const run = await runtime.store.getForgeRun(outcome.runId);
    return { outcome, calls: ollama.chatRequests.length, attempts: run?.attempts ?? [] };
  }

  it("installs a ```js-fenced module (qwen2.5-coder) on the first model call, and the tool works", async () => {
    const { outcome, calls } = await forge(qwenCoderJsReply("js"));
    expect(outcome).toMatchObject({ status: "installed", name: "word_count", attempts: 1 });
    expect(calls).toBe(1);
    await expect(runtime.registry.call("word_count", { text: "one two  three" })).resolves.toMatchObject({ ok: true, result: 3 });
  });

  it('installs a module that imports assert from "assert" on the first model call', async () => {
    const [, importLine, equal] = ASSERT_FROM_ASSERT;
    const { outcome, calls } = await forge(
      `Here is the module.\n\n\`\`\`typescript\n${wordCountWithAssertImport(importLine, equal)}\`\`\`\n`,
    );
    expect(outcome).toMatchObject({ status: "installed", name: "word_count", attempts: 1 });
    expect(calls).toBe(1);
  });

  it.each([
    ["an untagged fence with a usage example after it (llama3.1)", llamaUntaggedReply()],
    ["no fence at all", bareCodeReply()],
    ["a usage example first, then the module", exampleFirstReply()],
    ["a draft, then the corrected module", draftThenFixReply()],
    ["a draft inside <think> (deepseek-r1)", deepseekThinkingReply()],
    ["a draft before a lone </think> (qwen3)", qwen3LoneCloseReply()],
  ])("installs on the first model call: %s", async (_what, reply) => {
    const { outcome, calls } = await forge(reply);
    expect(outcome).toMatchObject({ status: "installed", name: "word_count", attempts: 1 });
    expect(calls).toBe(1);
  });

  it("feeds a cut-off reply back as cut off, and installs the complete one on the second call", async () => {
    const { outcome, calls, attempts } = await forge(cutOffReply(), `\`\`\`typescript\n${WORD_COUNT_TS}\`\`\``);
    expect(outcome).toMatchObject({ status: "installed", attempts: 2 });
    expect(calls).toBe(2);
    expect(attempts[0]).toMatchObject({ stage: "extract", outcome: "failed" });
    expect(attempts[0]?.failure).toContain("never closed (the reply looks cut off)");
  });

  it("answers CommonJS with one finding that shows the expected shape, and installs the ES module written after it", async () => {
    const { outcome, calls, attempts } = await forge(commonJsReply(), qwenCoderJsReply("js"));
    expect(outcome).toMatchObject({ status: "installed", attempts: 2 });
    expect(calls).toBe(2);
    expect(attempts[0]).toMatchObject({ stage: "audit", outcome: "failed" });
    expect(attempts[0]?.findings.map((f) => f.rule)).toEqual(["contract-commonjs"]);
    const secondPrompt = ollama.chatRequests[1]!.messages.map((m) => m.content).join("\n");
    expect(secondPrompt).toContain("this is CommonJS (`module.exports = …`): write an ES module instead");
    expect(secondPrompt).toContain('export const name = "word_count";');
  });
});

describeSandbox("every spelling of the assert import runs in the sandbox", (sandbox) => {
  describe.each(ASSERT_IMPORT_FORMS)("%s", (_label, importLine, equal) => {
    it("passes validation: the runner resolves the import to the builtin and test() passes", async () => {
      const result = await validateModule({ source: wordCountWithAssertImport(importLine, equal), contract: "tool", sandbox: sandbox() });
      expect(result.failure).toBeNull();
      expect(result).toMatchObject({ ok: true, stage: "passed", exports: { name: "word_count" } });
    });

    it("fails validation when the assertion fails (the import is the real assert, not a stub)", async () => {
      const failing = wordCountWithAssertImport(importLine, (a, b) => equal(a, `${b} + 1`));
      const result = await validateModule({ source: failing, contract: "tool", sandbox: sandbox() });
      expect(result).toMatchObject({ ok: false, stage: "sandbox" });
      expect(result.failure).toMatch(/test\(\) failed: AssertionError/);
    });
  });
});
