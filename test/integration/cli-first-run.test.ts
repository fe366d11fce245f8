/**
 * `npx toolforge …` in a clone: npm links the project into npx's cache and runs its `prepare`
 * script there, with the output hidden. The package's real `prepare` (package.json, running
 * scripts/prepare.mjs) is run by the real npm on a stand-in project whose `build` only leaves a
 * mark, with its own npm cache and offline: npx must answer without building, and an install must
 * still build.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

describe("the first `npx toolforge` in a clone", () => {
  let dir: string;
  const built = () => existsSync(path.join(dir, "project", "built.txt"));
  const npm = (args: string[]) =>
    run("npm", [...args, "--offline", "--cache", path.join(dir, "cache"), "--no-audit", "--no-fund"], {
      cwd: path.join(dir, "project"),
      env: { PATH: process.env.PATH, HOME: dir },
    });

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-npx-"));
    const project = path.join(dir, "project");
    mkdirSync(path.join(project, "bin"), { recursive: true });
    cpSync(path.join(ROOT, "scripts", "prepare.mjs"), path.join(project, "scripts", "prepare.mjs"));
    writeFileSync(path.join(project, "bin", "stand-in.js"), '#!/usr/bin/env node\nconsole.log("answered");\n', { mode: 0o755 });
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({
        name: "toolforge-stand-in",
        version: "0.0.0",
        type: "module",
        bin: { "toolforge-stand-in": "./bin/stand-in.js" },
        scripts: { prepare: pkg.scripts.prepare, build: "node -e \"require('node:fs').writeFileSync('built.txt', 'x')\"" },
      }),
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers without running the build", async () => {
    const { stdout } = await npm(["exec", "--yes", "--", "toolforge-stand-in"]);
    expect(stdout.trim()).toBe("answered");
    expect(built()).toBe(false);
  });

  it("still builds on `npm install`", async () => {
    await npm(["install"]);
    expect(built()).toBe(true);
  });
});
