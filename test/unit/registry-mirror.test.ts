import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonLiteral, renderLoader, type LoaderModule } from "../../src/tools/loader-template.js";
import { sha256Hex } from "../../src/store/index.js";
import { createToolMirror, writeFileAtomic, type MirrorableVersion } from "../../src/tools/mirror.js";

const compiled = 'export const name = "echo_text";\nexport default function echo_text({ text }) { return text; }\n';

function version(overrides: Partial<MirrorableVersion> = {}): MirrorableVersion {
  const code = overrides.compiled ?? compiled;
  return {
    toolName: "echo_text",
    version: 1,
    description: "Echoes a text.",
    schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    source: "export const name = 'echo_text'; // TypeScript",
    compiled: code,
    sha256: sha256Hex(code),
    ...overrides,
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "toolforge-mirror-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the loader template", () => {
  it("embeds model text only as JSON data, never as code", async () => {
    const hostile = {
      toolName: "evil_tool",
      description: '"; globalThis.pwned = true; //\n*/ globalThis.pwned = true; /*\u2028`${globalThis.pwned = true}`',
      schema: { type: "object", properties: { 'a"];globalThis.pwned=1;//': { type: "string", description: "</script>" } } },
    };
    const mirror = createToolMirror(dir);
    const paths = await mirror.write(version(hostile));
    const loader = (await import(`${pathToFileURL(paths.loader).href}?t=hostile`)) as LoaderModule;
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
    expect(loader.name).toBe("evil_tool");
    expect(loader.description).toBe(hostile.description);
    expect(loader.schema).toEqual(hostile.schema);
  });

  it("escapes the line separators that JSON allows and older JavaScript did not", () => {
    expect(jsonLiteral("a\u2028b\u2029c")).toBe('"a\\u2028b\\u2029c"');
  });

  it("refuses a malformed sha256 or version rather than writing a broken loader", () => {
    expect(() => renderLoader({ name: "x", version: 1, description: "", schema: {}, sha256: "abc" })).toThrow(/sha256/);
    expect(() => renderLoader({ name: "x", version: 0, description: "", schema: {}, sha256: "a".repeat(64) })).toThrow(/version/);
  });

  it("hands the verified module to the sandbox it is given as a call job", async () => {
    const paths = await createToolMirror(dir).write(version());
    const loader = (await import(`${pathToFileURL(paths.loader).href}?t=run`)) as LoaderModule;
    const jobs: unknown[] = [];
    const sandbox = { run: async (job: unknown) => (jobs.push(job), { ran: true }) };
    await expect(loader.run(sandbox, { text: "hi" }, { timeoutMs: 1234 })).resolves.toEqual({ ran: true });
    expect(jobs).toEqual([{ action: "call", contract: "tool", module: compiled, input: { text: "hi" }, timeoutMs: 1234 }]);
  });

  it("refuses to run a module.mjs that differs from the store's sha256", async () => {
    const paths = await createToolMirror(dir).write(version());
    await writeFile(paths.module, compiled + "\nglobalThis.tampered = 1;\n");
    const loader = (await import(`${pathToFileURL(paths.loader).href}?t=tampered`)) as LoaderModule;
    const sandbox = { run: async () => ({}) };
    await expect(loader.run(sandbox, {})).rejects.toThrow(/does not match the store/);
  });
});

describe("the mirror", () => {
  it("writes source, compiled module and loader under <name>/v<version>/", async () => {
    const mirror = createToolMirror(dir);
    await mirror.write(version({ version: 2 }));
    const files = (await readdir(path.join(dir, "echo_text", "v2"))).sort();
    expect(files).toEqual(["loader.mjs", "module.mjs", "source.ts"]);
    expect(await readFile(path.join(dir, "echo_text", "v2", "module.mjs"), "utf8")).toBe(compiled);
  });

  it("rebuilds only the files that are missing or differ, and leaves the rest", async () => {
    const mirror = createToolMirror(dir);
    const paths = await mirror.write(version());
    await rm(paths.module);
    await writeFile(paths.source, "edited by hand");
    expect((await mirror.ensure(version())).sort()).toEqual(["module.mjs", "source.ts"]);
    expect(await readFile(paths.module, "utf8")).toBe(compiled);
    expect(await mirror.ensure(version())).toEqual([]);
  });

  it("refuses names that are not snake_case, so no path leaves the mirror", () => {
    const mirror = createToolMirror(dir);
    expect(() => mirror.paths("../../etc", 1)).toThrow(/not a tool name/);
    expect(() => mirror.paths("ok_name", 0)).toThrow(/not a version/);
  });

  it("writes atomically: no temp file is left behind and the target holds the whole content", async () => {
    const file = path.join(dir, "nested", "file.txt");
    await Promise.all(Array.from({ length: 8 }, (_, i) => writeFileAtomic(file, String(i).repeat(10_000))));
    const content = await readFile(file, "utf8");
    expect(content).toMatch(/^(\d)\1{9999}$/);
    expect(await readdir(path.dirname(file))).toEqual(["file.txt"]);
  });
});
