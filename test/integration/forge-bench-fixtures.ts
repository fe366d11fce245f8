/** The forge benchmark's tests: the requests the stand-in model reads, and `npm run bench:forge` as a child process. */
import { spawn } from "node:child_process";
import path from "node:path";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The user messages of a request to the model, joined. */
export function userText(request: OllamaChatRequest): string {
  return request.messages
    .filter((m) => m.role === "user")
    .map((m) => m.content)
    .join("\n");
}

/** `npm run bench:forge -- ARGS` as a child process, with `env` (and the test's SANDBOX_* and DOCKER_HOST). */
export function runBench(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  for (const [name, value] of Object.entries(process.env))
    if (name.startsWith("SANDBOX_") || name === "DOCKER_HOST") childEnv[name] = value;
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "forge-bench.ts"), ...args], {
    cwd: ROOT,
    env: childEnv,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
