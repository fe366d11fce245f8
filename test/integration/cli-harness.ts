/**
 * The CLI driven as a child process (`node bin/toolforge.js …`), in a temporary directory with a
 * temporary DATA_DIR / DYNAMIC_TOOLS_DIR. Loads nothing of the server, so CLI tests of commands
 * that need no agent (doctor, tools) run even while the agent cannot load.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Env } from "../../src/config.js";

/** A fresh directory with data/ and dynamic_tools/, and the environment that points there. */
export function tempDirs(): { dir: string; env: Env; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-server-"));
  return {
    dir,
    env: { DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools") },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const BIN = path.resolve(import.meta.dirname, "../../bin/toolforge.js");

/**
 * The environment a CLI child gets: only what it needs (no .env is read: the child runs in a
 * temporary directory), the source rather than a possibly stale dist/, and no colours forced.
 */
export function cliEnv(env: Env): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TOOLFORGE_FROM_SOURCE: "1", LOG_LEVEL: "info" };
  if (process.env.DOCKER_HOST) base.DOCKER_HOST = process.env.DOCKER_HOST;
  return { ...base, ...env };
}

/** Starts `toolforge ARGS…` in `cwd` (a temporary directory). */
export function spawnCli(args: string[], env: Env, cwd: string) {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv(env), stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs `toolforge ARGS…` to the end and collects its output. */
export async function runCli(args: string[], env: Env, cwd: string, input?: string): Promise<CliRun> {
  const child = spawnCli(args, env, cwd);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.end(input ?? "");
  const code = await new Promise<number | null>((resolve) => child.on("close", (status) => resolve(status)));
  return { code, stdout, stderr };
}
