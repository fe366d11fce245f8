/**
 * The CLI on a real terminal: util-linux `script` gives the child a pseudo-terminal, keys are
 * written into it, and everything it shows (stdout and stderr) is read back.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { onTestFinished } from "vitest";
import { cliEnv } from "./cli-harness.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/toolforge.js");

/** Null when `script` can give a child a terminal here; else why not. */
export const terminalProblem: string | null = (() => {
  const probe = spawnSync("script", ["-qefc", "test -t 0", "/dev/null"], { encoding: "utf8", input: "" });
  if (probe.error) return `util-linux \`script\` is not available (${probe.error.message})`;
  return probe.status === 0 ? null : `\`script\` gave no terminal (exit ${probe.status})`;
})();

export interface Terminal {
  type(text: string): void;
  /** Everything the terminal showed so far (stdout and stderr both go to it). */
  screen(): string;
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  child: ChildProcessWithoutNullStreams;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * `toolforge ARGS…` on a pseudo-terminal of its own (of `columns` width: without one it has no
 * size, and the CLI draws no spinner). Call it inside a test: the child is killed when the test
 * ends, if it is still running.
 */
export function inTerminal(args: string[], env: Record<string, string>, cwd: string, columns?: number): Terminal {
  const command = (columns ? `stty cols ${columns} rows 40; ` : "") + [process.execPath, BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd,
    env: { ...cliEnv(env), TERM: "dumb" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.on("data", (chunk: Buffer) => (screen += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (screen += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  return {
    child,
    exited,
    type: (text) => child.stdin.write(text),
    screen: () => screen,
    waitFor: async (pattern, what, timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(screen)) {
        if (Date.now() > deadline) throw new Error(`${what}: not on the terminal after ${timeoutMs} ms; it shows:\n${screen}`);
        if (child.exitCode !== null) throw new Error(`${what}: the command exited (${child.exitCode}); the terminal showed:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
