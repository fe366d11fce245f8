/**
 * Adding hand-written tools (src/tools/add.ts, POST /tools, `toolforge tools add`): the same
 * contract, audit and gVisor validation as forged modules; a module that fails its own test or the
 * audit is refused with the stage and the reason and leaves nothing installed; one that passes is
 * installed as added (origin "added", no forge run), bound by the registry and found by search.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { RESERVED_TOOL_NAMES } from "../../src/contract.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createAdmission, readModuleSources } from "../../src/admission/index.js";
import { createToolMirror } from "../../src/tools/mirror.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { runCli } from "./cli-harness.js";
import { startTestServer, type TestServer } from "./test-server.js";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "modules");
const fixture = (file: string) => readFile(path.join(FIXTURES, file), "utf8");

describeSandbox("adding hand-written tools", (sandbox) => {
  let dir: string;
  let runtime: Runtime;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-add-"));
    const config = loadConfig({ DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "tools") });
    runtime = await createRuntime(config, { sandbox: sandbox() });
  });
  afterEach(async () => {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("installs the modules that pass and refuses, with the reason, one that fails its test and one the audit rejects", async () => {
    const modules = path.join(dir, "modules");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(modules);
    await writeFile(path.join(modules, "a-word-count.ts"), await fixture("good-word-count.ts"));
    await writeFile(path.join(modules, "b-failing-test.ts"), await fixture("failing-test.ts"));
    await writeFile(path.join(modules, "c-hostile.ts"), await fixture("fake-report-print.ts"));
    await writeFile(path.join(modules, "notes.md"), "not a module");
    const sources = await readModuleSources(modules);
    expect(sources.map((s) => path.basename(s.file))).toEqual(["a-word-count.ts", "b-failing-test.ts", "c-hostile.ts"]);

    const outcomes = await runtime.admission.addTools(sources, 2);
    expect(outcomes[0]).toMatchObject({ status: "added", name: "word_count", version: 1 });
    expect(outcomes[1]).toMatchObject({ status: "refused", stage: "sandbox" });
    expect(outcomes[1]!.status === "refused" && outcomes[1]!.reason).toContain("add_numbers(2, 2) should be 4");
    expect(outcomes[2]).toMatchObject({ status: "refused", stage: "audit" });
    expect(outcomes[2]!.status === "refused" && outcomes[2]!.reason).toMatch(/process/);

    expect((await runtime.store.listTools()).map((t) => t.name)).toEqual(["word_count"]);
    const installed = await runtime.store.getToolVersion("word_count", 1);
    expect(installed).toMatchObject({ origin: "added", forgeRunId: null });
    expect((await runtime.store.searchLibrary("how many words"))[0]?.name).toBe("word_count");
    await expect(runtime.registry.call("word_count", { text: "one two three" })).resolves.toMatchObject({ ok: true, result: 3 });
  });
});

describeSandbox("adding a tool named like one of ToolForge's own, as `tools add --local` does", (sandbox) => {
  it("refuses it at install by the contract alone (no registry to know the built-ins), installing nothing", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-add-reserved-"));
    const runtime = await createRuntime(loadConfig({ DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "tools") }), {
      sandbox: sandbox(),
    });
    try {
      const { store, sandbox: box } = runtime;
      const admission = createAdmission({ store, sandbox: box, mirror: createToolMirror(path.join(dir, "tools")) });
      const source = await fixture("good-word-count.ts");
      const outcomes = await admission.addTools(
        [...RESERVED_TOOL_NAMES].map((name) => ({ file: `${name}.ts`, source: source.replaceAll("word_count", name) })),
      );
      for (const [index, name] of [...RESERVED_TOOL_NAMES].entries()) {
        expect(outcomes[index]).toMatchObject({ status: "refused", stage: "install" });
        expect(outcomes[index]!.status === "refused" && outcomes[index]!.reason).toContain(`"${name}" is reserved`);
      }
      expect(await store.listTools()).toEqual([]);
    } finally {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeSandbox("adding tools over HTTP and from the CLI", (sandbox) => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start();
    served = await startTestServer({ ollama, sandbox: sandbox() });
  });
  afterAll(async () => {
    await served.close();
    await ollama.close();
  });

  const post = (body: unknown) =>
    fetch(`${served.url}/tools`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("POST /tools installs a passing module (201) and refuses a failing one (422, nothing installed)", async () => {
    const added = await post({ source: await fixture("good-word-count.ts"), file: "word-count.ts" });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ status: "added", name: "word_count", version: 1, origin: "added" });

    const refused = await post({ source: await fixture("failing-test.ts") });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("module_refused");
    expect(body.error.message).toContain("refused at sandbox");
    expect(body.error.message).toContain("add_numbers(2, 2) should be 4");
    const list = (await (await fetch(`${served.url}/tools`)).json()) as { tools: { name: string; origin: string }[] };
    expect(list.tools).toEqual([expect.objectContaining({ name: "word_count", origin: "added" })]);

    expect((await post({})).status).toBe(400);
  });

  it("POST /tools refuses a module named like one of ToolForge's own tools (forge_tool, find_tools), installing nothing", async () => {
    const source = await fixture("good-word-count.ts");
    const answers: Record<string, { status: number; message: string | undefined; installed: number }> = {};
    for (const reserved of RESERVED_TOOL_NAMES) {
      const answer = await post({ source: source.replaceAll("word_count", reserved) });
      const body = (await answer.json()) as { error?: { code: string; message: string } };
      answers[reserved] = {
        status: answer.status,
        message: body.error?.message,
        installed: (await fetch(`${served.url}/tools/${reserved}`)).status,
      };
    }
    expect(Object.keys(answers)).toEqual(expect.arrayContaining(["find_tools", "forge_tool"]));
    const refusal = (name: string) => ({
      status: 422,
      message: expect.stringContaining(`refused at install: "${name}" is reserved`),
      installed: 404,
    });
    expect(answers).toEqual(Object.fromEntries([...RESERVED_TOOL_NAMES].map((name) => [name, refusal(name)])));
  });

  it("GET /tools?q= and `toolforge tools search` show what BRICK would be offered; `tools add` reports each module", async () => {
    const offered = (await (await fetch(`${served.url}/tools?q=${encodeURIComponent("count the words in my essay")}`)).json()) as {
      bind_limit: number;
      tools: { name: string; origin: string; reason: string }[];
    };
    expect(offered.bind_limit).toBe(8);
    expect(offered.tools.map((t) => t.name)).toContain("word_count");
    // Added by hand, as GET /tools says: not "forged".
    expect(offered.tools.find((t) => t.name === "word_count")?.origin).toBe("added");
    expect(offered.tools.find((t) => t.name === "find_tools")?.origin ?? "builtin").toBe("builtin");

    const modules = await mkdtemp(path.join(os.tmpdir(), "toolforge-add-cli-"));
    try {
      await writeFile(path.join(modules, "async.ts"), await fixture("good-async-tool.ts"));
      await writeFile(path.join(modules, "failing.ts"), await fixture("failing-test.ts"));
      const env = { DATA_DIR: path.join(served.dir, "data"), DYNAMIC_TOOLS_DIR: path.join(served.dir, "dynamic_tools") };
      const run = await runCli(["tools", "add", modules, "--url", served.url], env, served.dir);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/added\s+\w+ v1 {2}\(.*async\.ts\)/);
      expect(run.stdout).toMatch(/refused {2}.*failing\.ts: sandbox: .*add_numbers\(2, 2\) should be 4/);
      expect(run.stdout).toContain("1 added, 1 refused");

      const search = await runCli(["tools", "search", "count", "words", "--url", served.url, "--json"], env, served.dir);
      expect(search.code).toBe(0);
      expect((JSON.parse(search.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain("word_count");
    } finally {
      await rm(modules, { recursive: true, force: true });
    }
  });
});
