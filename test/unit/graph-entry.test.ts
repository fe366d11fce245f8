import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";

const run = promisify(execFile);

describe("the package entry", () => {
  // A child process that transpiles the whole package with tsx: slow on a busy machine.
  it("exports createToolForge (and createGraph for Studio) and opens nothing when imported", { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-entry-"));
    try {
      const dataDir = path.join(dir, "data");
      const script = `const m = await import(${JSON.stringify(path.join(PROJECT_ROOT, "src/index.ts"))}); console.log(JSON.stringify(Object.keys(m).sort()));`;
      const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: PROJECT_ROOT, // where tsx resolves

        env: { ...process.env, DATA_DIR: dataDir, DYNAMIC_TOOLS_DIR: path.join(dir, "tools"), OLLAMA_HOST: "http://127.0.0.1:9" },
        timeout: 60_000,
      });
      const names = JSON.parse(stdout.trim().split("\n").at(-1)!) as string[];
      expect(names).toEqual(
        expect.arrayContaining(["createToolForge", "createGraph", "checkPersonaModels", "loadConfig", "createObjectSpace"]),
      );
      // One way to build the agent: no second closer, no separate runtime builder.
      for (const dropped of ["closeGraph", "createRuntime"]) expect(names).not.toContain(dropped);
      // The process exited on its own (nothing left open) and no store was created.
      expect(existsSync(dataDir)).toBe(false);
      expect(existsSync(path.join(dir, "tools"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("langgraph.json names the toolforge graph, served from the Studio module, without an env file", { timeout: 60_000 }, async () => {
    const config = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "langgraph.json"), "utf8")) as {
      graphs: Record<string, string>;
      env?: unknown;
    };
    expect(Object.keys(config.graphs)).toEqual(["toolforge"]);
    const [file, symbol] = config.graphs.toolforge!.split(":");
    const studio = (await import(path.resolve(PROJECT_ROOT, file!))) as Record<string, unknown>;
    expect(typeof studio[symbol!]).toBe("function");
    // A missing .env would stop the dev server; ToolForge reads .env itself.
    expect(config.env).toBeUndefined();
  });
});
