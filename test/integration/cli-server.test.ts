/**
 * The CLI as a child process against a real server started by the test (scripted personas):
 * `ask` prints ALFRED's answer, `chat` answers piped lines, `tools list | show | rollback` talk to
 * the server, `tools list --local` reads the same store directly, and `send` (with the real sandbox)
 * parses each argument as JSON when it is JSON and as a word otherwise; `ask --local` runs the
 * agent in its own process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { methodVersion, toolVersion } from "../support/store.js";
import { runCli, tempDirs } from "./cli-harness.js";
import { cascade, mentions, startTestServer, TEST_MODELS, type TestServer } from "./test-server.js";

function shoutVersion(n: number) {
  const compiled = `export default function shout({ text }) { return text.toUpperCase() + "${"!".repeat(n)}"; }`;
  return toolVersion("shout", undefined, {
    compiled,
    source: `// shout v${n}\n${compiled}`,
    description: `Shouts a text (v${n}).`,
    schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  });
}

describe("the CLI against a running server", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;

  beforeAll(async () => {
    ollama = await ScriptedOllama.start({
      respond: cascade((request) => (mentions(request, "second line") ? "Answer to the second line." : "ALFRED's answer for the CLI.")),
    });
    served = await startTestServer({ ollama });
    for (const n of [1, 2]) await served.server.runtime.store.installToolVersion(shoutVersion(n));
  });

  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  const env = () => ({ DATA_DIR: served.config.dataDir, DYNAMIC_TOOLS_DIR: served.config.dynamicToolsDir });

  it("`ask` prints ALFRED's answer on stdout and exits 0", async () => {
    const run = await runCli(["ask", "What", "is", "the", "answer?", "--url", served.url], env(), served.dir);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("ALFRED's answer for the CLI.\n");
    const brick = ollama.chatRequests.filter((r) => r.model === "brick:test").at(-1);
    expect(brick && mentions(brick, "What is the answer?")).toBe(true);
  });

  it("`ask --json` prints the reply with its thread, its tools and what tools asked a person", async () => {
    const run = await runCli(["ask", "hello", "--json", "--thread", "cli-json-thread", "--url", served.url], env(), served.dir);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      reply: "ALFRED's answer for the CLI.",
      thread_id: "cli-json-thread",
      tools_used: [],
      tools_created: [],
      consent: [],
    });
  });

  it("`chat` answers each piped line on one thread and ends at end of input", async () => {
    const run = await runCli(["chat", "--url", served.url, "--thread", "cli-chat-thread"], env(), served.dir, "first line\nsecond line\n");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ALFRED's answer for the CLI.");
    expect(run.stdout).toContain("Answer to the second line.");
    const secondBrick = ollama.chatRequests.filter((r) => r.model === "brick:test" && mentions(r, "second line")).at(-1);
    expect(secondBrick && mentions(secondBrick, "first line")).toBe(true);
  });

  it("`tools list` shows each tool with its active version", async () => {
    const run = await runCli(["tools", "list", "--url", served.url], env(), served.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^shout\s+v2 \(2 versions\)\s+Shouts a text \(v2\)\.$/m);
  });

  it("`tools show` prints the schema, the versions with their origin, and the active source", async () => {
    const run = await runCli(["tools", "show", "shout", "--url", served.url], env(), served.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/input schema:\n\s+\{\n\s+"type": "object"/);
    expect(run.stdout).toMatch(/"required": \[\n\s+"text"\n\s+\]/);
    expect(run.stdout).toMatch(/v1\s+inactive\s+imported\s/);
    expect(run.stdout).toContain("// shout v2");
  });

  it("`tools rollback NAME VERSION` makes that version active, and `tools list --local` sees it in the store", async () => {
    const run = await runCli(["tools", "rollback", "shout", "1", "--url", served.url], env(), served.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("shout: v2 → v1 is now active\n");
    const local = await runCli(["tools", "list", "--local", "--json"], env(), served.dir);
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout)).toEqual([expect.objectContaining({ name: "shout", active_version: 1, version_count: 2 })]);
  });

  it("`tools show` of an unknown tool fails with the server's message and exit 1", async () => {
    const run = await runCli(["tools", "show", "nope", "--url", served.url], env(), served.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no tool named "nope"');
    expect(run.stderr).toContain("HTTP 404");
  });

  it("`ask` says what Ollama answered when it fails with HTTP 500, and where to look, not an unexpected error", async () => {
    const failure = "model requires more system memory (10.2 GiB) than is available (5.1 GiB)";
    // BRICK's call, the turn's first, is answered with the error.
    ollama.enqueue({ httpError: { status: 500, error: failure } });
    const run = await runCli(["ask", "hello", "--url", served.url], env(), served.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`answered 500 Internal Server Error for model "${TEST_MODELS.BRICK_MODEL}" (BRICK): ${failure}`);
    expect(run.stderr).toContain("ollama ps");
    expect(run.stderr).toContain("HTTP 502, ollama_server_error");
    expect(run.stderr).not.toMatch(/unexpected/);
  });
});

describeSandbox("toolforge send", (sandbox) => {
  let ollama: ScriptedOllama;
  let served: TestServer;

  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
    served = await startTestServer({ ollama, sandbox: sandbox() });
    const store = served.server.runtime.store;
    await store.ensureObject({ id: "calc" });
    const methods = {
      add: "export default function add(self, pair) { return pair[0] + pair[1]; }",
      greet: "export default function greet(self, who) { return `Hello, ${who}!`; }",
    };
    for (const [selector, compiled] of Object.entries(methods)) {
      await store.installMethodVersion(methodVersion("calc", selector, undefined, { compiled, description: selector }));
    }
  });

  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  it("passes a JSON argument as JSON: `send calc add '[1,2]'` prints 3", async () => {
    const run = await runCli(["send", "calc", "add", "[1,2]", "--url", served.url], {}, served.dir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("3\n");
  });

  it("passes a plain word as a string: `send calc greet Ada` prints the greeting", async () => {
    const run = await runCli(["send", "calc", "greet", "Ada", "--url", served.url], {}, served.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("Hello, Ada!\n");
  });
});

describeSandbox("toolforge ask --local", () => {
  it("runs the agent in its own process, on the store of DATA_DIR, and prints the answer", async () => {
    const ollama = await ScriptedOllama.start({ respond: cascade(() => "Answered in-process.") });
    const dirs = tempDirs();
    try {
      const env = { ...dirs.env, ...TEST_MODELS, OLLAMA_HOST: ollama.url, SANDBOX_POOL_SIZE: "0" };
      const run = await runCli(["ask", "--local", "--thread", "local-thread", "Who", "answers?"], env, dirs.dir);
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("Answered in-process.\n");
      const brick = ollama.chatRequests.find((r) => r.model === TEST_MODELS.BRICK_MODEL);
      expect(brick && mentions(brick, "Who answers?")).toBe(true);
    } finally {
      dirs.cleanup();
      await ollama.close();
    }
  });
});
