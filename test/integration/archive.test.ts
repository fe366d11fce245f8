/**
 * Chronicles against a real SQLite store in temp dirs: an archive round trip restores identical
 * data (objects, methods, messages and the dynamic tools), and a tampered archive — one byte changed
 * in one file, or a file slipped in — is refused naming the file, with nothing changed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { create as createTar, extract } from "tar";
import { loadConfig, type Config } from "../../src/config.js";
import { openStore, type Store } from "../../src/store/index.js";
import { createArchive, listArchives, restoreArchive, TamperedArchiveError } from "../../src/archive/index.js";
import { methodVersion } from "../support/store.js";

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(): Config {
  const root = tempDir("toolforge-archive-test-");
  return loadConfig({ DATA_DIR: path.join(root, "data"), DYNAMIC_TOOLS_DIR: path.join(root, "dynamic_tools") });
}

async function seed(store: Store, config: Config): Promise<void> {
  await store.ensureObject({ id: "nil" });
  await store.ensureObject({ id: "system", attributes: { greetings: 2, owner: "Ada" }, prototypes: ["nil"] });
  const code = "export default (self, who) => `Hello, ${who}!`;";
  await store.installMethodVersion(methodVersion("system", "greet", undefined, { compiled: code, description: "Greets someone." }));
  const message = await store.createMessage({ targetId: "system", selector: "greet", args: ["Ada"], kwargs: {} });
  await store.updateMessage(message.id, { status: "done", result: "Hello, Ada!" });
  mkdirSync(path.join(config.dynamicToolsDir, "word_count"), { recursive: true });
  writeFileSync(path.join(config.dynamicToolsDir, "word_count", "tool.ts"), "export const name = 'word_count';\n");
}

/** Everything a user would notice, read through the Store interface. */
async function logicalState(store: Store) {
  const objects = await store.listObjects();
  const methods = await Promise.all(objects.map((o) => store.listMethods(o.id)));
  return {
    objects: objects.map(({ id, attributes, revision, prototypes }) => ({ id, attributes, revision, prototypes })),
    methods: methods.flat().map(({ objectId, selector, version, compiled }) => ({ objectId, selector, version, compiled })),
  };
}

function toolsState(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else out[rel] = readFileSync(path.join(dir, entry.name), "utf8");
    }
  };
  walk(config.dynamicToolsDir, "");
  return out;
}

/** Re-packs an archive after `change` edits its extracted files (the manifest left as it was). */
async function tamper(archive: string, change: (dir: string) => void): Promise<string> {
  const dir = tempDir("toolforge-tamper-");
  await extract({ file: archive, cwd: dir });
  change(dir);
  const out = path.join(tempDir("toolforge-tampered-"), "tampered.tar.gz");
  await createTar({ gzip: true, file: out, cwd: dir, portable: true }, readdirSync(dir));
  return out;
}

describe("chronicles", () => {
  it("restores exactly the archived store and dynamic tools after later changes", async () => {
    const config = setup();
    let store = await openStore(config);
    await seed(store, config);
    const before = await logicalState(store);
    const toolsBefore = toolsState(config);
    const { file, manifest } = await createArchive(config, store, { reason: "before the experiment" });
    expect(manifest.reason).toBe("before the experiment");
    expect(statSync(file).mode & 0o777, "a chronicle holds the store, grants' credentials included").toBe(0o600);
    expect(Object.keys(manifest.files)).toContain("dynamic_tools/word_count/tool.ts");

    const system = (await store.getObject("system"))!;
    await store.updateAttributes("system", system.revision, { greetings: 99 });
    await store.ensureObject({ id: "intruder" });
    writeFileSync(path.join(config.dynamicToolsDir, "word_count", "tool.ts"), "changed\n");
    writeFileSync(path.join(config.dynamicToolsDir, "extra.txt"), "new\n");
    expect(await logicalState(store)).not.toEqual(before);
    await store.close();

    await restoreArchive(config, file);
    store = await openStore(config);
    try {
      expect(await logicalState(store)).toEqual(before);
      expect(toolsState(config)).toEqual(toolsBefore);
      const listed = await listArchives(config);
      expect(listed.map((a) => (a.ok ? a.manifest.reason : a.problem))).toEqual(["before the experiment"]);
    } finally {
      await store.close();
    }
  });

  it.each([
    [
      "one byte changed in a file",
      "dynamic_tools/word_count/tool.ts",
      (dir: string) => {
        const file = path.join(dir, "dynamic_tools", "word_count", "tool.ts");
        const bytes = readFileSync(file);
        bytes[0] = bytes[0]! ^ 1;
        writeFileSync(file, bytes);
      },
    ],
    [
      "a file the manifest does not list",
      "store/extra.db",
      (dir: string) => {
        writeFileSync(path.join(dir, "store", "extra.db"), "x");
      },
    ],
  ])("refuses an archive with %s, naming the file and changing nothing", async (_what, named, change) => {
    const config = setup();
    const store = await openStore(config);
    await seed(store, config);
    const { file } = await createArchive(config, store, { reason: "baseline" });
    const system = (await store.getObject("system"))!;
    await store.updateAttributes("system", system.revision, { greetings: 7 });
    const after = await logicalState(store);
    const toolsAfter = toolsState(config);
    await store.close();

    const tampered = await tamper(file, change);
    const refusal = await restoreArchive(config, tampered).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(TamperedArchiveError);
    expect((refusal as TamperedArchiveError).message).toContain(named);

    const reopened = await openStore(config);
    try {
      expect(await logicalState(reopened)).toEqual(after);
      expect(toolsState(config)).toEqual(toolsAfter);
    } finally {
      await reopened.close();
    }
  });
});
