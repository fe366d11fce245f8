/**
 * Jobs share a container (one after another, each in a fresh runner process): nothing one job
 * leaves — a module variable, a global, a timer, a spinning promise, files in /tmp and /dev/shm, a
 * detached child process, output written after its report — may affect or be seen by the next,
 * whoever wrote it. First with ONE container, so that every job provably lands in the same one
 * (same host name), then under concurrent load over several containers.
 */
import { expect, it } from "vitest";
import { type SandboxPool } from "../../src/sandbox/pool.js";
import { jobSucceeded, type JobResult, type Sandbox, type SandboxJob } from "../../src/sandbox/types.js";
import { describeSandbox } from "../support/sandbox.js";

/** A hostile tool: leaves everything it can behind, and counts its calls in a module variable. */
const LEAVE = `import fs from "node:fs";
import os from "node:os";
import { spawn } from "node:child_process";
let calls = 0;
export default function leave() {
  calls++;
  globalThis.leftBehind = "from an earlier job";
  fs.writeFileSync("/tmp/left", "x");
  fs.writeFileSync("/dev/shm/left", "x");
  fs.mkdirSync("/tmp/locked/deeper", { recursive: true });
  fs.writeFileSync("/tmp/locked/deeper/file", "x");
  fs.chmodSync("/tmp/locked", 0);
  setInterval(() => fs.writeFileSync("/tmp/timer-" + Date.now(), "t"), 5);
  (async () => { for (;;) { await new Promise((resolve) => setTimeout(resolve, 5)); fs.writeFileSync("/tmp/promise", String(Date.now())); } })();
  const child = spawn("/usr/bin/node", ["-e",
    "setInterval(() => { require('fs').writeFileSync('/tmp/child-' + Date.now(), 'c'); process.stdout.write('TOOLFORGE_READY\\\\nTOOLFORGE_END 0 0\\\\n'); process.stderr.write('leftover\\\\n'); for (const t = Date.now(); Date.now() - t < 3;); }, 5)"],
    { detached: true, stdio: ["ignore", "inherit", "inherit"] });
  child.unref();
  return { host: os.hostname(), calls };
}`;

/** What the next job sees, after giving anything left behind time to act. */
const LOOK = `import fs from "node:fs";
import os from "node:os";
let calls = 0;
export default async function look() {
  calls++;
  await new Promise((resolve) => setTimeout(resolve, 150));
  const processes = fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p)).map((p) => {
    try { return fs.readFileSync("/proc/" + p + "/cmdline", "utf8").replace(/\\0/g, " ").trim(); } catch { return ""; }
  }).filter(Boolean);
  return {
    host: os.hostname(),
    calls,
    tmp: fs.readdirSync("/tmp"),
    shm: fs.readdirSync("/dev/shm"),
    leftBehind: globalThis.leftBehind ?? null,
    processes,
  };
}`;

/** Fills /tmp and /dev/shm to their limits. */
const FILL = `import fs from "node:fs";
export default function fill() {
  const block = Buffer.alloc(1024 * 1024, 1);
  let written = 0;
  for (const dir of ["/tmp", "/dev/shm"]) {
    try { for (let i = 0; ; i++) { fs.writeFileSync(dir + "/fill-" + i, block); written++; } } catch (error) { if (error.code !== "ENOSPC") throw error; }
  }
  return written;
}`;

/** Needs most of /tmp and /dev/shm. */
const WRITE_8_MIB = `import fs from "node:fs";
export default function write() {
  fs.writeFileSync("/tmp/mine", Buffer.alloc(8 * 1024 * 1024, 1));
  fs.writeFileSync("/dev/shm/mine", Buffer.alloc(8 * 1024 * 1024, 1));
  return "written";
}`;

interface Seen {
  host: string;
  calls: number;
  tmp: string[];
  shm: string[];
  leftBehind: unknown;
  processes: string[];
}

function call(module: string, extra: Partial<SandboxJob> = {}): SandboxJob {
  return { action: "call", contract: "method", module, input: { self: {}, args: [] }, ...extra };
}

function resultOf<T>(result: JobResult): T {
  expect(result.reportProblem, `stderr: ${result.stderr}`).toBeUndefined();
  expect(jobSucceeded(result)).toBe(true);
  return result.report?.result as T;
}

/** What a clean job sees: nothing of any earlier job, and no process but the container's own and its own. */
function expectNothingLeft(seen: Seen, result: JobResult): void {
  expect(seen.calls).toBe(1);
  expect(seen.leftBehind).toBeNull();
  expect(seen.tmp).toEqual([]);
  expect(seen.shm).toEqual([]);
  expect(seen.processes.filter((p) => p.includes("setInterval"))).toEqual([]);
  // The supervisor (PID 1), this job's launcher (perl) and its runner (node): nothing else.
  expect(seen.processes.filter((p) => p.startsWith("node ") || p.startsWith("/usr/bin/node"))).toHaveLength(1);
  expect(seen.processes).toHaveLength(3);
  expect(result.stdout).toBe("");
  expect(result.stderr).toBe("");
}

describeSandbox(
  "what one job leaves for the next, in the same container",
  (sandbox) => {
    it("lets nothing a hostile job left (variables, timers, a spinning promise, files, a child process, output) reach the next job", async () => {
      const left = resultOf<{ host: string; calls: number }>(await sandbox().run(call(LEAVE)));
      expect(left.calls).toBe(1);
      const result = await sandbox().run(call(LOOK));
      const seen = resultOf<Seen>(result);
      expect(seen.host).toBe(left.host); // the very same container
      expectNothingLeft(seen, result);
      // Called again, the hostile tool counts from 1 again: a fresh process each time.
      expect(resultOf<{ calls: number }>(await sandbox().run(call(LEAVE))).calls).toBe(1);
    });

    it("gives the next job all of /tmp and /dev/shm after a job filled them", async () => {
      expect(resultOf<number>(await sandbox().run(call(FILL)))).toBeGreaterThan(20);
      expect(resultOf<string>(await sandbox().run(call(WRITE_8_MIB)))).toBe("written");
    });
  },
  { sandbox: { poolSize: 1, maxContainers: 1 } },
);

describeSandbox(
  "a container per job",
  (sandbox) => {
    it("starts a fresh container for every job when SANDBOX_JOBS_PER_CONTAINER is 1", async () => {
      const first = resultOf<{ host: string }>(await sandbox().run(call(LEAVE)));
      const seen = resultOf<Seen>(await sandbox().run(call(LOOK)));
      expect(seen.host).not.toBe(first.host);
      expect((sandbox() as SandboxPool).stats().containersStarted).toBeGreaterThanOrEqual(2);
    });
  },
  { sandbox: { poolSize: 1, maxContainers: 1, jobsPerContainer: 1 } },
);

describeSandbox(
  "what one job leaves for the next, under concurrent load",
  (sandbox) => {
    it("keeps every job clean while hostile and clean jobs share three containers, 24 at once", async () => {
      const pool = (): Sandbox => sandbox();
      const finished: { host: string; kind: "leave" | "look"; at: number }[] = [];
      const jobs = Array.from({ length: 24 }, async (_, n) => {
        const kind = n % 2 === 0 ? "leave" : "look";
        const result = await pool().run(call(kind === "leave" ? LEAVE : LOOK));
        const value = resultOf<{ host: string } & Partial<Seen>>(result);
        finished.push({ host: value.host, kind, at: performance.now() });
        if (kind === "look") expectNothingLeft(value as Seen, result);
      });
      await Promise.all(jobs);
      const hosts = new Set(finished.map((f) => f.host));
      expect(hosts.size).toBeLessThanOrEqual(3);
      // The test proves something only if clean jobs ran after hostile ones in the same container.
      const followed = [...hosts].some((host) => {
        const order = finished.filter((f) => f.host === host).sort((a, b) => a.at - b.at);
        return order.some((f, i) => f.kind === "look" && order.slice(0, i).some((g) => g.kind === "leave"));
      });
      expect(followed).toBe(true);
    });
  },
  { sandbox: { poolSize: 2, maxContainers: 3 } },
);
