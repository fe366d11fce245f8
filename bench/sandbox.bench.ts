/**
 * The sandbox, side by side in one run, on one small real job: `validate` of a small tool module
 * with a test (import it, check its exports, run its test) — what every forge attempt does.
 *
 *   bare node        a `node sandbox/runner.mjs` process on the host: spawn → report line
 *   cold runsc/runc  a fresh hardened container per job: Sandbox.run() as a caller sees it
 *   pooled runsc     a warm container (pool full and the machine quiet before each run):
 *                    Sandbox.run() as a caller sees it, i.e. take → handover → report
 *   pooled ×N        N clients hand a job to N warm containers at the same moment; every job's
 *                    latency counts (rounds of N, the pool refilled and quiet between rounds)
 *
 * BENCH_SANDBOX_RUNS (default 20) sets the runs per row.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import Docker from "dockerode";
import { loadConfig, PROJECT_ROOT, type Config } from "../src/config.js";
import { DockerSandbox } from "../src/sandbox/docker-sandbox.js";
import { ensureImage } from "../src/sandbox/image.js";
import { reportLineScanner } from "../src/sandbox/output.js";
import { SandboxPool } from "../src/sandbox/pool.js";
import { assertSandboxReady } from "../src/sandbox/preflight.js";
import { jobSucceeded, type SandboxJob } from "../src/sandbox/types.js";
import { measure, summarise, type BenchRow } from "./stats.js";

export const title = "sandbox";

const RUNS = Number(process.env["BENCH_SANDBOX_RUNS"] ?? 20);
const GROUP = "sandbox";

/** The small job: a word-count tool with its test, as the forge would send it (already JavaScript). */
export const SMALL_JOB: SandboxJob = {
  action: "validate",
  contract: "tool",
  module: `import assert from "node:assert/strict";
export const name = "word_count";
export const description = "Counts the words in a text.";
export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };
export default function word_count({ text }) {
  return text.trim().split(/\\s+/).filter(Boolean).length;
}
export function test() {
  assert.equal(word_count({ text: "a b  c" }), 3);
  assert.equal(word_count({ text: "" }), 0);
}
`,
};

function mustSucceed(result: Awaited<ReturnType<DockerSandbox["run"]>>): void {
  if (!jobSucceeded(result)) {
    throw new Error(`the bench job failed: ${result.reportProblem ?? JSON.stringify(result.report?.error)}; stderr: ${result.stderr}`);
  }
}

/** One bare node process running the runner on the host, until its report line arrives. */
function bareNodeJob(): Promise<void> {
  const token = randomBytes(16).toString("hex");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "sandbox", "runner.mjs")], {
      env: {},
      stdio: ["pipe", "pipe", "ignore"],
    });
    const scanner = reportLineScanner(token);
    child.stdout.on("data", (chunk: Buffer) => scanner.push(chunk));
    child.on("error", reject);
    const exited = new Promise((done) => child.once("close", done));
    void scanner.line.then(async (line) => {
      if (!line.includes('"ok":true')) return reject(new Error(`bare node job failed: ${line}`));
      await exited; // the next run starts on a quiet machine
      resolve();
    });
    child.stdin.end(JSON.stringify({ token, ...SMALL_JOB }) + "\n");
  });
}

function settingsFor(base: Config, runtime: "runsc" | "runc"): Config["sandbox"] {
  return { ...base.sandbox, runtime };
}

async function coldRow(docker: Docker, base: Config, image: string, runtime: "runsc" | "runc"): Promise<BenchRow> {
  const sandbox = new DockerSandbox(docker, image, settingsFor(base, runtime));
  try {
    return await measure(GROUP, `cold ${runtime} (fresh container per job)`, async () => mustSucceed(await sandbox.run(SMALL_JOB)), {
      runs: RUNS,
      note: `${base.sandbox.cpus} CPU, ${base.sandbox.memoryMb} MiB; create → start → job → removed`,
    });
  } finally {
    await sandbox.close();
  }
}

async function pooledRow(docker: Docker, base: Config, image: string): Promise<BenchRow> {
  const pool = new SandboxPool(new DockerSandbox(docker, image, base.sandbox), 2, base.sandbox.timeoutMs);
  const samples: number[] = [];
  const inside: number[] = [];
  try {
    for (let i = 0; i < RUNS + 2; i++) {
      await pool.settled();
      const start = performance.now();
      const result = await pool.run(SMALL_JOB);
      const elapsed = performance.now() - start;
      mustSucceed(result);
      if (i < 2) continue; // warm-up
      samples.push(elapsed);
      inside.push(Object.values(result.report?.timings ?? {}).reduce((a, b) => a + b, 0));
    }
  } finally {
    await pool.close();
  }
  const insideP50 = [...inside].sort((a, b) => a - b)[Math.floor(inside.length / 2)] ?? NaN;
  return summarise(
    GROUP,
    "pooled runsc (warm container)",
    samples,
    `run() as the caller sees it; runner's own work p50 ${insideP50.toFixed(1)} ms`,
  );
}

async function concurrentRow(docker: Docker, base: Config, image: string, clients: number): Promise<BenchRow> {
  const pool = new SandboxPool(new DockerSandbox(docker, image, base.sandbox), clients, base.sandbox.timeoutMs);
  const samples: number[] = [];
  const rounds = Math.ceil(RUNS / clients) + 1;
  let coldTakes = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      await pool.settled();
      const coldBefore = pool.stats().coldStarts;
      const latencies = await Promise.all(
        Array.from({ length: clients }, async () => {
          const start = performance.now();
          mustSucceed(await pool.run(SMALL_JOB));
          return performance.now() - start;
        }),
      );
      if (round === 0) continue; // warm-up
      coldTakes += pool.stats().coldStarts - coldBefore;
      samples.push(...latencies);
    }
  } finally {
    await pool.close();
  }
  return summarise(
    GROUP,
    `pooled runsc, ${clients} concurrent client${clients > 1 ? "s" : ""}`,
    samples,
    `${clients} jobs handed over at once per round; cold fallbacks: ${coldTakes}`,
  );
}

export async function run(): Promise<BenchRow[]> {
  const base = loadConfig({ ...process.env, SANDBOX_POOL_SIZE: "0" });
  const docker = new Docker();
  await assertSandboxReady(base, docker);
  const image = await ensureImage(docker, base.sandbox.image);
  const rows: BenchRow[] = [];
  rows.push(
    await measure(GROUP, "bare node process on the host", bareNodeJob, {
      runs: RUNS,
      note: "spawn node runner.mjs → report line; no isolation",
    }),
  );
  rows.push(await coldRow(docker, base, image, "runsc"));
  rows.push(await coldRow(docker, base, image, "runc"));
  rows.push(await pooledRow(docker, base, image));
  for (const clients of [1, 2, 4]) rows.push(await concurrentRow(docker, base, image, clients));
  return rows;
}
