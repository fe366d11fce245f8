/**
 * Two processes sharing one store see each other's new tools in search: a child installs a tool
 * that this process then finds, and a child waiting on a search finds the tool this process
 * installs. SQLite always; ArangoDB where a server exists. Children are scripts run with
 * `node --import tsx`, given the store's configuration in TOOLFORGE_TEST_STORE (the pattern of
 * store-processes.test.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT, type Config } from "../../src/config.js";
import { openStore, type NewToolVersion } from "../../src/store/index.js";
import { arangoTestServer, freshArangoDatabase, toolVersion } from "../support/store.js";

const CHILD_SOURCE = `
import { writeSync } from "node:fs";
import { createHash } from "node:crypto";
const { openStore } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/store/index.ts")).href)});
const [action, arg, description] = process.argv.slice(2);
const say = (line) => writeSync(1, line + "\\n");
const store = await openStore(JSON.parse(process.env.TOOLFORGE_TEST_STORE));
if (action === "install") {
  const compiled = "export default function " + arg + "() { return 1; }";
  await store.installToolVersion({ toolName: arg, description, schema: { type: "object" }, source: compiled, compiled,
    sha256: createHash("sha256").update(compiled).digest("hex"), forgeRunId: null });
  say("INSTALLED");
} else if (action === "search-until-found") {
  say("SEARCHING");
  for (;;) {
    const hits = await store.searchLibrary(arg);
    if (hits.length > 0) { say(JSON.stringify(hits.map((h) => h.name))); break; }
    await new Promise((r) => setTimeout(r, 20));
  }
}
await store.close();
`;

type StoreConfig = Pick<Config, "dataDir" | "arango">;

function child(script: string, config: StoreConfig, ...args: string[]) {
  const proc = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TOOLFORGE_TEST_STORE: JSON.stringify(config) },
  });
  const lines: string[] = [];
  let stderr = "";
  proc.stdout.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const waitFor = async (pattern: RegExp): Promise<string> => {
    for (;;) {
      const line = lines.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (proc.exitCode !== null) throw new Error(`child exited (${proc.exitCode}) before ${pattern}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { proc, exited, waitFor, stderr: () => stderr };
}

function tool(toolName: string, description: string): NewToolVersion {
  return toolVersion(toolName, "return 2;", { description, schema: { type: "object" } });
}

function processSearch(kind: string, fresh: (scratch: string) => { config: StoreConfig; drop: () => Promise<void> }): void {
  describe(`library search across processes: ${kind}`, () => {
    let scratch: string;
    let script: string;
    let config: StoreConfig;
    let drop: () => Promise<void>;
    beforeEach(() => {
      scratch = mkdtempSync(path.join(os.tmpdir(), "toolforge-libprocs-"));
      script = path.join(scratch, "child.mjs");
      writeFileSync(script, CHILD_SOURCE);
      ({ config, drop } = fresh(scratch));
    });
    afterEach(async () => {
      await drop();
      rmSync(scratch, { recursive: true, force: true });
    });

    it("each process finds the tools the other installed, without reopening the store", async () => {
      const store = await openStore(config);
      try {
        expect(await store.searchLibrary("hashtags")).toEqual([]);
        const installer = child(script, config, "install", "extract_hashtags", "Extracts the hashtags from a social media post.");
        await installer.waitFor(/^INSTALLED$/);
        expect(await installer.exited).toBe(0);
        expect((await store.searchLibrary("find hashtags in a post")).map((h) => h.name)).toEqual(["extract_hashtags"]);

        const searcher = child(script, config, "search-until-found", "roman numerals");
        await searcher.waitFor(/^SEARCHING$/);
        await store.installToolVersion(tool("to_roman", "Writes a whole number in Roman numerals."));
        expect(JSON.parse(await searcher.waitFor(/^\[/))).toEqual(["to_roman"]);
        expect(await searcher.exited).toBe(0);
      } finally {
        await store.close();
      }
    });
  });
}

processSearch("sqlite", (scratch) => ({ config: { dataDir: path.join(scratch, "data"), arango: null }, drop: async () => {} }));

const arango = await arangoTestServer();
if ("skip" in arango) {
  describe("library search across processes: arango", () => {
    it.skip(`skipped — ${arango.skip}`, () => {});
  });
} else {
  afterAll(arango.stop);
  processSearch("arango", (scratch) => {
    const { settings, drop } = freshArangoDatabase(arango.server);
    return { config: { dataDir: path.join(scratch, "data"), arango: settings }, drop };
  });
}
