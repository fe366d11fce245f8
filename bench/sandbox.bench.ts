/**
 * The sandbox, side by side in one run, on small real jobs (a word-count tool: `validate` as the
 * forge sends it, `call` as a tool call does).
 *
 * Cold start (runs interleaved, so drift in the machine's load touches every row alike):
 *   bare node              a `node sandbox/runner.mjs` process on the host: spawn → report line
 *   cold runsc             a fresh hardened container for one job, as a caller sees it (DockerSandbox.run):
 *                          create → start → supervisor → runner READY → job → report (removal in the background)
 *   cold runsc, pre-watchdog   the same container with the runner as its command and no supervisor:
 *                          what a cold job cost before the in-container watchdog existed
 *   cold runc              the same as "cold runsc" under runc (no gVisor)
 *   cold start, its parts  create (engine API), gVisor boot (the start call), the supervisor's boot (a
 *                          perl probe's first output), the runner's boot to READY, the job itself
 * Warm:
 *   pooled runsc           a waiting container of a quiet pool: take → handover → report
 * Sustained load (BENCH_SANDBOX_SECONDS each, default 30, after a short warm-up; 0 leaves them out):
 *   N callers, sandboxed   N callers calling back to back through the pool createSandbox makes
 *                          (the product's defaults, or the SANDBOX_* environment)
 *   N callers, bare node   N callers, each call a fresh `node runner.mjs` process on the host
 *   for N = 1, 4, 8, alternating, with calls/s, p50/p95, failures and how busy the CPUs were.
 * BENCH_SANDBOX_OPTIONS=1 adds the designs weighed in docs/sandbox.md at 8 callers: a fresh
 * container per call (SANDBOX_JOBS_PER_CONTAINER=1), and other bounds on containers.
 * BENCH_SANDBOX_RUNS (default 20) sets the runs per cold/warm row.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import Docker from "dockerode";
import { loadConfig, PROJECT_ROOT, type Config } from "../src/config.js";
import { containerSpec } from "../src/sandbox/container-spec.js";
import { DEFAULT_TIMING, MAX_JOB_TIMEOUT_MS } from "../src/sandbox/deadline.js";
import { DockerSandbox } from "../src/sandbox/docker-sandbox.js";
import { ensureImage, RUNNER_PATH_IN_IMAGE } from "../src/sandbox/image.js";
import { OomWatch } from "../src/sandbox/oom-watch.js";
import { CappedCapture, LineScanner, READY_MARKER, reportLineScanner, stderrEndLine } from "../src/sandbox/output.js";
import { poolSettings } from "../src/sandbox/pool-settings.js";
import { SandboxPool } from "../src/sandbox/pool.js";
import { assertSandboxReady } from "../src/sandbox/preflight.js";
import { jobSucceeded, type JobResult, type SandboxJob } from "../src/sandbox/types.js";
import { currentProcess } from "../src/util/process-identity.js";
import { measure, percentile, summarise, type BenchRow } from "./stats.js";

export const title = "sandbox";

const RUNS = Number(process.env["BENCH_SANDBOX_RUNS"] ?? 20);
const SECONDS = Number(process.env["BENCH_SANDBOX_SECONDS"] ?? 30);
const WARMUP_SECONDS = Math.min(5, Math.max(1, SECONDS / 6));
const CALLERS = [1, 4, 8];
const OPTIONS = process.env["BENCH_SANDBOX_OPTIONS"] === "1";
const GROUP = "sandbox";
/** The deadlines of a container started for one job. */
const ONE_JOB = { idleMs: DEFAULT_TIMING.coldIdleMs, maxJobMs: MAX_JOB_TIMEOUT_MS, acceptMs: DEFAULT_TIMING.coldIdleMs, maxJobs: 1 };

const WORD_COUNT = `import assert from "node:assert/strict";
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
`;

/** What every forge attempt does: import the module, check its exports, run its test. */
const VALIDATE_JOB: SandboxJob = { action: "validate", contract: "tool", module: WORD_COUNT };
/** What a tool call does: import the module, call it once. */
const CALL_JOB: SandboxJob = { action: "call", contract: "tool", module: WORD_COUNT, input: { text: "the quick brown fox jumps" } };
const CALL_RESULT = 5;

function mustSucceed(result: JobResult): void {
  if (!jobSucceeded(result)) {
    throw new Error(`the bench job failed: ${result.reportProblem ?? JSON.stringify(result.report?.error)}; stderr: ${result.stderr}`);
  }
}

function callSucceeded(result: JobResult): boolean {
  return jobSucceeded(result) && result.report?.result === CALL_RESULT;
}

/** One bare node process running the runner on the host, until its report line and its exit. */
function bareNodeJob(job: SandboxJob): Promise<void> {
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
    const { signal: _signal, ...line } = job;
    child.stdin.end(JSON.stringify({ token, ...line }) + "\n");
  });
}

/**
 * A cold job the way it ran before the in-container watchdog: the same hardened container, with the
 * runner itself as its command under docker-init (as 1000:1000, no capability), given the job line once READY and
 * read as the host reads every job (report, then the end of stderr). The engine calls are the ones
 * SandboxContainer makes (create, events, attach, start, wait).
 */
class PreWatchdogCold {
  private readonly removing = new Set<Promise<unknown>>();

  constructor(
    private readonly docker: Docker,
    private readonly image: string,
    private readonly settings: Config["sandbox"],
  ) {}

  async run(job: SandboxJob): Promise<void> {
    const spec = containerSpec(this.image, this.settings, currentProcess(), ONE_JOB, DEFAULT_TIMING);
    spec.Cmd = ["node", RUNNER_PATH_IN_IMAGE];
    spec.User = "1000:1000";
    spec.HostConfig = { ...spec.HostConfig, CapAdd: [], Init: true }; // as then: docker-init ran the runner
    const container = await this.docker.createContainer(spec);
    const oom = await OomWatch.open(this.docker, container.id);
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
      stream.on("error", () => undefined);
      const token = randomBytes(16).toString("hex");
      const scanner = reportLineScanner(token);
      let ready!: () => void;
      const isReady = new Promise<void>((resolve) => (ready = resolve));
      let head = "";
      const stdout = new CappedCapture();
      stdout.onChunk = (chunk) => {
        if (head !== READY_MARKER) {
          head += chunk.toString();
          if (head.startsWith(READY_MARKER)) {
            head = READY_MARKER;
            ready();
          }
        }
        scanner.push(chunk);
      };
      // As the host reads every job: the report on stdout, then the runner's end-of-stderr line.
      const stderr = new CappedCapture();
      const stderrEnd = new LineScanner(stderrEndLine(token));
      stderr.onChunk = (chunk) => stderrEnd.push(chunk);
      this.docker.modem.demuxStream(stream, stdout, stderr);
      await container.start();
      void container.wait().catch(() => undefined);
      await isReady;
      const { signal: _signal, ...line } = job;
      stream.write(JSON.stringify({ token, ...line }) + "\n");
      const report = await scanner.line;
      await stderrEnd.line;
      if (!report.includes('"ok":true')) throw new Error(`the pre-watchdog job failed: ${report}`);
      stream.destroy();
    } finally {
      oom.close();
      const removal = container.remove({ force: true }).catch(() => undefined);
      this.removing.add(removal);
      void removal.finally(() => this.removing.delete(removal));
    }
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.removing]);
  }
}

/** Cold jobs of every kind, interleaved run by run. */
async function coldRows(docker: Docker, base: Config, image: string): Promise<BenchRow[]> {
  const runsc = new DockerSandbox(docker, image, { ...base.sandbox, runtime: "runsc" });
  const runc = new DockerSandbox(docker, image, { ...base.sandbox, runtime: "runc" });
  const pre = new PreWatchdogCold(docker, image, base.sandbox);
  const kinds: [string, () => Promise<void>, string][] = [
    ["bare node process on the host", () => bareNodeJob(VALIDATE_JOB), "spawn node runner.mjs → report line; no isolation"],
    [
      "cold runsc, pre-watchdog (runner as the command)",
      () => pre.run(VALIDATE_JOB),
      "the runner alone in the container, as before the watchdog: create → start → READY → job → report",
    ],
    [
      "cold runsc (fresh container for one job)",
      async () => mustSucceed(await runsc.run(VALIDATE_JOB)),
      "create → start → supervisor → runner → job → report",
    ],
    ["cold runc (fresh container for one job)", async () => mustSucceed(await runc.run(VALIDATE_JOB)), "the same under runc (no gVisor)"],
  ];
  const samples = kinds.map(() => [] as number[]);
  const quiet = async () => {
    await Promise.all([runsc.settled(), runc.settled(), pre.settled()]);
  };
  try {
    for (let run = 0; run < RUNS + 2; run++) {
      for (const [index, [, job]] of kinds.entries()) {
        await quiet();
        const started = performance.now();
        await job();
        if (run >= 2) samples[index]!.push(performance.now() - started); // two warm-up rounds
      }
    }
  } finally {
    await Promise.allSettled([runsc.close(), runc.close(), quiet()]);
  }
  const rows = kinds.map(([name, , note], index) =>
    summarise(GROUP, name, samples[index]!, `${note}; ${base.sandbox.cpus} CPU, ${base.sandbox.memoryMb} MiB`),
  );
  const p50 = (index: number) =>
    percentile(
      [...samples[index]!].sort((a, b) => a - b),
      50,
    );
  rows[2]!.note += `; ${(p50(2) / p50(1)).toFixed(2)}× the pre-watchdog cold job, ${(p50(2) / p50(0)).toFixed(1)}× a bare node process`;
  return rows;
}

/**
 * The cold start's parts, from raw engine calls with the product's container spec: the create call,
 * the start call (gVisor boots), then until READY, for the product's container (supervisor, then
 * runner) and, paired with it run by run, the same container with the runner as its command (as
 * before the watchdog): the difference is the supervisor's share.
 */
async function coldParts(docker: Docker, base: Config, image: string): Promise<BenchRow[]> {
  const parts = { create: [] as number[], start: [] as number[], runner: [] as number[], supervisor: [] as number[] };
  const once = async (runnerOnly: boolean) => {
    const spec = containerSpec(image, base.sandbox, currentProcess(), ONE_JOB, DEFAULT_TIMING);
    if (runnerOnly) {
      spec.Cmd = ["node", RUNNER_PATH_IN_IMAGE];
      spec.User = "1000:1000";
      spec.HostConfig = { ...spec.HostConfig, CapAdd: [], Init: true };
    }
    const t0 = performance.now();
    const container = await docker.createContainer(spec);
    const t1 = performance.now();
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
      stream.on("error", () => undefined);
      let seen = "";
      let found!: (at: number) => void;
      const ready = new Promise<number>((resolve) => (found = resolve));
      const stdout = new CappedCapture();
      stdout.onChunk = (chunk) => {
        seen += chunk.toString();
        if (seen.includes(READY_MARKER)) found(performance.now());
      };
      docker.modem.demuxStream(stream, stdout, new CappedCapture());
      const t2 = performance.now();
      await container.start();
      const t3 = performance.now();
      const t4 = await ready;
      stream.destroy();
      return { create: t1 - t0, start: t3 - t2, untilReady: t4 - t3 };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  };
  const runs = Math.max(5, RUNS);
  for (let run = 0; run < runs + 1; run++) {
    const alone = await once(true);
    const supervised = await once(false);
    if (run === 0) continue;
    parts.create.push(supervised.create);
    parts.start.push(supervised.start);
    parts.runner.push(alone.untilReady);
    parts.supervisor.push(supervised.untilReady - alone.untilReady);
  }
  return [
    summarise(GROUP, "cold start part: container create", parts.create, "the engine's create call"),
    summarise(GROUP, "cold start part: gVisor boot", parts.start, "the engine's start call (runsc creates and starts the sandbox)"),
    summarise(
      GROUP,
      "cold start part: runner to READY",
      parts.runner,
      "from the start call's return to READY, the runner alone (node boot + warm-up)",
    ),
    summarise(
      GROUP,
      "cold start part: supervisor (the watchdog's share)",
      parts.supervisor,
      "the supervised container's time to READY minus the runner-alone one's, run by run (perl, launch, namespaces)",
    ),
  ];
}

/**
 * Starting `node -e 1` inside a running sandbox, one after another (what each job's fresh process
 * costs at least): a perl loop inside one container times each start with the sandbox's clock.
 */
async function spawnInsideRow(docker: Docker, base: Config, image: string): Promise<BenchRow> {
  const spec = containerSpec(image, base.sandbox, currentProcess(), ONE_JOB, DEFAULT_TIMING);
  const runs = RUNS + 2;
  spec.Cmd = [
    "perl",
    "-e",
    `sub up { open(my $f, "<", "/proc/uptime"); my ($s) = split(" ", scalar <$f>); $s * 1000 }
     for (1 .. ${runs}) { my $t = up(); my $p = fork(); if (!$p) { exec("node", "-e", "1") } waitpid($p, 0); syswrite(STDOUT, "RUN " . (up() - $t) . "\n") }
     syswrite(STDOUT, "DONE\n");`,
  ];
  spec.User = "1000:1000";
  const container = await docker.createContainer(spec);
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Duplex;
    let text = "";
    const stdout = new CappedCapture();
    stdout.onChunk = (chunk) => (text += chunk.toString());
    docker.modem.demuxStream(stream, stdout, new CappedCapture());
    await container.start();
    await container.wait();
    const samples = [...text.matchAll(/^RUN (\d+)/gm)].map((match) => Number(match[1])).slice(2);
    return summarise(
      GROUP,
      "fresh node process inside a running sandbox",
      samples,
      `fork + exec node -e 1 in one container, ${base.sandbox.cpus} CPU (10 ms clock)`,
    );
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

async function pooledRow(docker: Docker, base: Config, image: string): Promise<BenchRow> {
  const pool = new SandboxPool(new DockerSandbox(docker, image, base.sandbox), {
    ...poolSettings(base.sandbox),
    minReady: 2,
    maxContainers: 2,
  });
  const samples: number[] = [];
  const inside: number[] = [];
  try {
    for (let i = 0; i < RUNS + 2; i++) {
      await pool.settled();
      const start = performance.now();
      const result = await pool.run(VALIDATE_JOB);
      const elapsed = performance.now() - start;
      mustSucceed(result);
      if (i < 2) continue; // warm-up
      samples.push(elapsed);
      inside.push(Object.values(result.report?.timings ?? {}).reduce((a, b) => a + b, 0));
    }
  } finally {
    await pool.close();
  }
  const insideP50 = percentile(
    [...inside].sort((a, b) => a - b),
    50,
  );
  return summarise(
    GROUP,
    "pooled runsc (warm container)",
    samples,
    `run() as the caller sees it; runner's own work p50 ${insideP50.toFixed(1)} ms`,
  );
}

/** How busy the machine's CPUs were between two readings of /proc/stat (0–1). */
function cpuReading(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** `callers` callers calling back to back for `seconds` (after a warm-up): latencies, failures, calls/s. */
async function sustained(
  name: string,
  callers: number,
  call: () => Promise<boolean>,
  noteOf: () => string,
  seconds = SECONDS,
): Promise<BenchRow> {
  const loop = async (until: number, record: boolean, latencies: number[], failures: string[]) => {
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          let ok: boolean;
          try {
            ok = await call();
          } catch (error) {
            ok = false;
            if (record) failures.push(error instanceof Error ? error.message.split("\n")[0]! : String(error));
          }
          if (!record) continue;
          latencies.push(performance.now() - started);
          if (!ok) failures.push("a call did not succeed");
        }
      }),
    );
  };
  await loop(performance.now() + WARMUP_SECONDS * 1000, false, [], []);
  const latencies: number[] = [];
  const failures: string[] = [];
  const load = os.loadavg()[0]!;
  const cpu0 = cpuReading();
  const started = performance.now();
  await loop(started + seconds * 1000, true, latencies, failures);
  const elapsedS = (performance.now() - started) / 1000;
  const cpu1 = cpuReading();
  const busy = (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total);
  const row = summarise(
    GROUP,
    name,
    latencies,
    `${callers} caller${callers > 1 ? "s" : ""}, ${seconds} s; CPUs ${(busy * 100).toFixed(0)}% busy, load ${load.toFixed(1)} before; ${noteOf()}` +
      (failures.length ? `; first failure: ${failures[0]}` : ""),
  );
  row.perSecond = Math.round((latencies.length / elapsedS) * 100) / 100;
  row.failed = failures.length;
  return row;
}

async function sustainedRows(docker: Docker, base: Config, image: string): Promise<BenchRow[]> {
  const settings = poolSettings(base.sandbox);
  const pool = new SandboxPool(new DockerSandbox(docker, image, base.sandbox), settings);
  const rows: BenchRow[] = [];
  try {
    await pool.settled();
    for (const callers of CALLERS) {
      rows.push(
        await sustained(
          `${callers} callers, bare node (a process per call)`,
          callers,
          () => bareNodeJob(CALL_JOB).then(() => true),
          () => "no isolation",
        ),
      );
      const before = pool.stats().containersStarted;
      rows.push(
        await sustained(
          `${callers} callers, sandboxed (pool)`,
          callers,
          async () => callSucceeded(await pool.run(CALL_JOB)),
          () => {
            const stats = pool.stats();
            return `pool ${settings.minReady}, max ${settings.maxContainers} containers (peak ${stats.peakContainers}, ${stats.containersStarted - before} started), ${settings.jobsPerContainer} jobs each`;
          },
        ),
      );
      await pool.settled();
    }
  } finally {
    await pool.close();
  }
  const at = (callers: number, kind: string) => rows.find((r) => r.name.startsWith(`${callers} callers, ${kind}`))!;
  const bare = at(8, "bare");
  const boxed = at(8, "sandboxed");
  boxed.note += `; at 8 callers: ${(boxed.perSecond! / bare.perSecond!).toFixed(2)}× bare calls/s, p95 ${(boxed.p95Ms / bare.p95Ms).toFixed(2)}× bare p95`;
  return rows;
}

/** The designs weighed in docs/sandbox.md, at 8 callers. */
async function optionRows(docker: Docker, base: Config, image: string): Promise<BenchRow[]> {
  const variants: [string, Partial<Config["sandbox"]>][] = [
    ["a fresh container per call (jobs per container 1)", { jobsPerContainer: 1, maxContainers: 8 }],
    ["fresh process per call, max 4 containers", { maxContainers: 4 }],
    ["fresh process per call, max 8 containers", { maxContainers: 8 }],
  ];
  const rows: BenchRow[] = [];
  for (const [label, overrides] of variants) {
    const sandbox = { ...base.sandbox, ...overrides };
    const settings = poolSettings(sandbox);
    const pool = new SandboxPool(new DockerSandbox(docker, image, sandbox), settings);
    try {
      await pool.settled();
      rows.push(
        await sustained(
          `8 callers, option: ${label}`,
          8,
          async () => callSucceeded(await pool.run(CALL_JOB)),
          () => `peak ${pool.stats().peakContainers} containers, ${pool.stats().containersStarted} started`,
          Math.min(SECONDS, 15),
        ),
      );
    } finally {
      await pool.close();
    }
  }
  return rows;
}

export async function run(): Promise<BenchRow[]> {
  const base = loadConfig(process.env);
  const docker = new Docker();
  await assertSandboxReady(base, docker);
  const image = await ensureImage(docker, base.sandbox.image);
  const rows: BenchRow[] = [];
  rows.push(...(await coldRows(docker, base, image)));
  rows.push(...(await coldParts(docker, base, image)));
  rows.push(await spawnInsideRow(docker, base, image));
  rows.push(await pooledRow(docker, base, image));
  rows.push(
    await measure(GROUP, "bare node process, a tool call", () => bareNodeJob(CALL_JOB), { runs: RUNS, note: "for the rows below" }),
  );
  if (SECONDS > 0) rows.push(...(await sustainedRows(docker, base, image)));
  if (SECONDS > 0 && OPTIONS) rows.push(...(await optionRows(docker, base, image)));
  return rows;
}
