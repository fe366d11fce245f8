/** `toolforge doctor` and the CLI's exit codes, driven as a child process. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { runCli, tempDirs } from "./cli-harness.js";

let dirs: ReturnType<typeof tempDirs>;
let closedOllama: string;

beforeAll(async () => {
  dirs = tempDirs();
  const gone = await ScriptedOllama.start();
  closedOllama = gone.url;
  await gone.close();
});
afterAll(() => dirs.cleanup());

describe("toolforge doctor", () => {
  it("names Ollama as unreachable with the fix, and exits 1", async () => {
    const run = await runCli(["doctor"], { ...dirs.env, OLLAMA_HOST: closedOllama }, dirs.dir);
    expect(run.code).toBe(1);
    const ollamaLine = run.stdout.split("\n").find((line) => line.includes("Ollama"));
    expect(ollamaLine).toMatch(/^✗ Ollama\s+not reachable at http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toContain("fix: start Ollama with `ollama serve`");
    expect(run.stdout).toMatch(/^✓ Node\.js\s+v\d+/m);
    expect(run.stdout).toMatch(/^✓ store\s+sqlite at /m);
    expect(run.stdout).not.toContain("\u001b["); // no colours without a TTY
  });

  it("checks every persona's model against a running Ollama and says which one is missing", async () => {
    const ollama = await ScriptedOllama.start({
      models: { "brick:ok": { capabilities: ["completion", "tools"] }, "robin:ok": {}, "babs:ok": {} },
    });
    try {
      const env = {
        ...dirs.env,
        OLLAMA_HOST: ollama.url,
        BRICK_MODEL: "brick:ok",
        ROBIN_MODEL: "robin:ok",
        BABS_MODEL: "babs:ok",
        ALFRED_MODEL: "alfred:absent",
      };
      const run = await runCli(["doctor"], env, dirs.dir);
      expect(run.stdout).toMatch(/^✓ Ollama\s+0\.12\.0/m);
      expect(run.stdout).toMatch(/^✓ BRICK model\s+brick:ok, supports tools/m);
      expect(run.stdout).toMatch(/^✗ ALFRED model\s+ALFRED_MODEL=alfred:absent: model "alfred:absent" is not in Ollama/m);
      expect(run.stdout).toContain("fix: ollama pull alfred:absent");
      expect(run.code).toBe(1);
    } finally {
      await ollama.close();
    }
  });

  it("checks FORGE_MODEL too, and warns (without failing) about a BRICK model that cannot call tools", async () => {
    const ollama = await ScriptedOllama.start({
      models: {
        "brick:notools": { capabilities: ["completion"] },
        "robin:ok": {},
        "babs:ok": {},
        "alfred:ok": { contextLength: 40_960 },
      },
    });
    try {
      const models = { BRICK_MODEL: "brick:notools", ROBIN_MODEL: "robin:ok", BABS_MODEL: "babs:ok", ALFRED_MODEL: "alfred:ok" };
      const run = await runCli(["doctor"], { ...dirs.env, OLLAMA_HOST: ollama.url, ...models, FORGE_MODEL: "coder:absent" }, dirs.dir);
      expect(run.stdout).toMatch(/^✗ forge model\s+FORGE_MODEL=coder:absent: model "coder:absent" is not in Ollama/m);
      expect(run.stdout).toContain("fix: ollama pull coder:absent");
      expect(run.stdout).toMatch(/^! BRICK model\s+BRICK_MODEL=brick:notools: model "brick:notools" does not support tool calling/m);
      expect(run.stdout).toContain("fix: `ollama pull qwen3:8b`, then set BRICK_MODEL=qwen3:8b");
      expect(run.stdout).toMatch(/^✓ ALFRED model\s+alfred:ok, context 16384 of 40960 tokens/m);
      expect(run.code).toBe(1);
    } finally {
      await ollama.close();
    }
  });

  it("prints the checks as JSON with --json", async () => {
    const run = await runCli(["doctor", "--json"], { ...dirs.env, OLLAMA_HOST: closedOllama }, dirs.dir);
    const checks = JSON.parse(run.stdout) as { name: string; ok: boolean; fix?: string }[];
    expect(checks.find((c) => c.name === "Ollama")).toMatchObject({ ok: false });
    expect(run.code).toBe(1);
  });
});

describe("the CLI's failures", () => {
  it("exits 2 on an invalid setting, naming the variable on stderr", async () => {
    const run = await runCli(["doctor"], { ...dirs.env, PORT: "eighty" }, dirs.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PORT="eighty" is not valid');
    expect(run.stdout).toBe("");
  });

  it("exits 1 with the way to start a server when none answers", async () => {
    const run = await runCli(["tools", "list", "--url", closedOllama], dirs.env, dirs.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no ToolForge server answers at ${closedOllama}`);
    expect(run.stderr).toContain("toolforge serve");
  });

  it("has --help on every command", async () => {
    for (const args of [["--help"], ["tools", "rollback", "--help"], ["ask", "--help"]]) {
      const run = await runCli(args, dirs.env, dirs.dir);
      expect(run.code, args.join(" ")).toBe(0);
      expect(run.stdout, args.join(" ")).toMatch(/^Usage: toolforge/);
    }
  }, 360_000); // three cold CLI starts on a busy two-core machine
});
