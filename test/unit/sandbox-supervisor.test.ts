/**
 * The supervisor (sandbox/supervisor.pl) run as a process on the host with the real runner: its
 * protocol, the deadlines it enforces whatever a job does, and what it clears between jobs. Whether
 * a hostile module can reach it, and the same promises under gVisor and load, are tried inside the
 * container (test/integration/sandbox-deadline.test.ts, sandbox-isolation.test.ts).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
import * as contract from "../../src/contract.js";
import * as deadline from "../../src/sandbox/deadline.js";
import { parseReport } from "../../src/sandbox/output.js";
import { untilPresent } from "../support/until.js";

const SUPERVISOR = path.join(PROJECT_ROOT, "sandbox", "supervisor.pl");
const READY = contract.READY_MARKER;

/** Whether this host lets the supervisor give each job its own namespaces (else it retires after one job). */
const namespacesProblem = (() => {
  try {
    execFileSync("perl", ["-e", "exit(syscall(272, 0x10000000) == 0 ? 0 : 1)"], { stdio: "ignore" });
    return os.arch() === "x64" ? null : `the check uses x86_64's syscall number; this host is ${os.arch()}`;
  } catch {
    return "this host refuses unprivileged user namespaces";
  }
})();

interface Supervisor {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves once `count` READY lines have arrived. */
  ready: (count: number) => Promise<void>;
  send: (module: string, options?: { deadlineMs?: number; args?: unknown[] }) => { token: string; nonce: string };
  ended: (nonce: string) => Promise<string>;
}

const started: Supervisor[] = [];
const scratchDirs: string[] = [];

afterEach(() => {
  for (const s of started.splice(0)) s.child.kill("SIGKILL");
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-supervisor-"));
  chmodSync(dir, 0o1777); // the jobs' user writes here
  scratchDirs.push(dir);
  return dir;
}

function startSupervisor(args: string[]): Supervisor {
  const child = spawn("perl", [SUPERVISOR, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdin.on("error", () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const supervisor: Supervisor = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    ready: (count) =>
      untilPresent(`${count} READY lines`, () => stdout.split(READY).length - 1 >= count, { timeoutMs: 15_000 }).then(() => undefined),
    send: (module, options = {}) => {
      const token = randomBytes(16).toString("hex");
      const nonce = randomBytes(16).toString("hex");
      const job = JSON.stringify({ token, action: "call", contract: "method", module, input: { self: {}, args: options.args ?? [] } });
      child.stdin.write(deadline.deadlineLine(options.deadlineMs ?? 10_000, nonce) + job + "\n");
      return { token, nonce };
    },
    ended: async (nonce) => {
      const prefix = deadline.endLinePrefix(nonce);
      await untilPresent("the job's end line", () => stdout.includes(prefix) && stderr.includes(prefix), { timeoutMs: 15_000 });
      return stdout.slice(stdout.indexOf(prefix)).split("\n")[0]!;
    },
  };
  started.push(supervisor);
  return supervisor;
}

describe("the supervisor's constants", () => {
  it("are the host's (src/sandbox/deadline.ts, src/contract.ts)", () => {
    const source = readFileSync(SUPERVISOR, "utf8");
    const constant = (name: string) => {
      const match = new RegExp(`^my \\$${name} = (.+);$`, "m").exec(source);
      if (!match) throw new Error(`supervisor.pl has no constant ${name}`);
      const text = match[1]!;
      return text.startsWith('"') ? (JSON.parse(text) as unknown) : Number(text.replace(/_/g, ""));
    };
    for (const name of [
      "DEADLINE_LINE_PREFIX",
      "END_LINE_PREFIX",
      "RETIRED_EXIT_CODE",
      "IDLE_EXIT_CODE",
      "DEADLINE_EXIT_CODE",
      "ABANDONED_EXIT_CODE",
      "DEADLINE_GRACE_MS",
      "STARTUP_TIMEOUT_MS",
      "RUNNER_UID",
      "RUNNER_GID",
    ] as const) {
      expect([name, constant(name)]).toEqual([name, deadline[name]]);
    }
    expect(constant("READY_MARKER")).toBe(contract.READY_MARKER);
  });

  it("compiles under `use strict` and `use warnings` (the image carries no Perl module, so it cannot say so itself)", () => {
    const check = execFileSync("perl", ["-Mstrict", "-Mwarnings", "-c", SUPERVISOR], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(check).toBe("");
  });
});

describe("the supervisor's protocol", () => {
  it("passes a job to a fresh runner, relays its output, and ends it with the runner's status under the nonce only it knew", async () => {
    const supervisor = startSupervisor(["60000", "60000", "60000", "100"]);
    await supervisor.ready(1);
    const { token, nonce } = supervisor.send("export default function f(self, n) { console.error('to stderr'); return n * 2; }", {
      args: [21],
    });
    const end = await supervisor.ended(nonce);
    expect(end).toBe(`${deadline.endLinePrefix(nonce)}0`);
    const beforeEnd = supervisor.stdout().slice(0, supervisor.stdout().indexOf(end));
    expect(parseReport(beforeEnd, token).report?.result).toBe(42);
    expect(supervisor.stderr()).toContain("to stderr");
    expect(supervisor.stdout()).not.toContain(`"${nonce}"`);
  });

  it("reports a runner that ended without a report by its exit code", async () => {
    const supervisor = startSupervisor(["60000", "60000", "60000", "100"]);
    await supervisor.ready(1);
    const { nonce } = supervisor.send("export default function f() { process.exit(7); }");
    expect(await supervisor.ended(nonce)).toBe(`${deadline.endLinePrefix(nonce)}7`);
  });

  it("ends after its last job instead of starting another runner", async () => {
    const supervisor = startSupervisor(["60000", "60000", "60000", "1"]);
    await supervisor.ready(1);
    const { nonce } = supervisor.send("export default function f() { return 1; }");
    await supervisor.ended(nonce);
    expect(await supervisor.exited).toBe(deadline.RETIRED_EXIT_CODE);
    expect(supervisor.stdout().split(READY).length - 1).toBe(1);
  });

  it("refuses a first line that is not a deadline, and bad arguments", async () => {
    const supervisor = startSupervisor(["60000", "60000", "60000", "100"]);
    await supervisor.ready(1);
    supervisor.child.stdin.write(JSON.stringify({ token: "t", action: "call", module: "export default () => 1" }) + "\n");
    expect(await supervisor.exited).toBe(2);
    expect(supervisor.stderr()).toMatch(/not a deadline|too long for a deadline/);
    const usage = startSupervisor(["soon"]);
    expect(await usage.exited).toBe(2);
  });
});

describe("the supervisor's deadlines", () => {
  it("ends a busy loop at the job's deadline", async () => {
    const supervisor = startSupervisor(["60000", "60000", "60000", "100"]);
    await supervisor.ready(1);
    supervisor.send("export default function f() { for (;;) {} }", { deadlineMs: 300 });
    expect(await supervisor.exited).toBe(deadline.DEADLINE_EXIT_CODE);
    expect(supervisor.stdout()).not.toContain("TOOLFORGE_REPORT");
  });

  it("ends a job blocked in Atomics.wait at the job's deadline", async () => {
    const supervisor = startSupervisor(["60000", "60000", "60000", "100"]);
    await supervisor.ready(1);
    supervisor.send("export default function f() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }", { deadlineMs: 300 });
    expect(await supervisor.exited).toBe(deadline.DEADLINE_EXIT_CODE);
  });

  it("cuts a deadline longer than the container's longest job", async () => {
    const supervisor = startSupervisor(["60000", "300", "60000", "100"]);
    await supervisor.ready(1);
    supervisor.send("export default function f() { for (;;) {} }", { deadlineMs: 600_000 });
    expect(await supervisor.exited).toBe(deadline.DEADLINE_EXIT_CODE);
  });

  it("lets no runner start or wait past its accept time (the container's lifetime counts on it)", async () => {
    // An accept time shorter than a runner's start: the container ends before READY.
    const booting = startSupervisor(["60000", "60000", "1", "100"]);
    expect(await booting.exited).toBe(deadline.RETIRED_EXIT_CODE);
    expect(booting.stdout()).not.toContain(READY);
    const idle = startSupervisor(["60000", "60000", "1500", "100"]);
    await idle.ready(1);
    expect(await idle.exited).toBe(deadline.IDLE_EXIT_CODE);

    const busy = startSupervisor(["60000", "60000", "1500", "100"]);
    await busy.ready(1);
    const { nonce } = busy.send(
      "export default async function f() { await new Promise((resolve) => setTimeout(resolve, 2000)); return 1; }",
    );
    await busy.ended(nonce);
    expect(await busy.exited).toBe(deadline.RETIRED_EXIT_CODE);
    expect(busy.stdout().split(READY).length - 1).toBe(1);
  });

  it("ends an idle container when no job comes in time", async () => {
    const supervisor = startSupervisor(["1500", "60000", "60000", "100"]);
    expect(await supervisor.exited).toBe(deadline.IDLE_EXIT_CODE);
  });

  it("ends at once when the host's side of stdin closes, before or during a job", async () => {
    const idle = startSupervisor(["60000", "60000", "60000", "100"]);
    await idle.ready(1);
    idle.child.stdin.end();
    expect(await idle.exited).toBe(deadline.ABANDONED_EXIT_CODE);
    const busy = startSupervisor(["60000", "60000", "60000", "100"]);
    await busy.ready(1);
    busy.send("export default function f() { for (;;) {} }", { deadlineMs: 60_000 });
    busy.child.stdin.end();
    expect(await busy.exited).toBe(deadline.ABANDONED_EXIT_CODE);
  });
});

describe.skipIf(namespacesProblem !== null)(
  `the supervisor between jobs${namespacesProblem ? ` (skipped: ${namespacesProblem})` : ""}`,
  () => {
    it("runs the next job in a fresh runner that sees no module variable, file or process of the one before", async () => {
      const scratch = scratchDir();
      const ticks = path.join(scratchDir(), "ticks");
      const supervisor = startSupervisor(["60000", "60000", "60000", "100", scratch]);
      await supervisor.ready(1);
      const leave = `import fs from "node:fs"; import { spawn } from "node:child_process";
      export default function f() {
        globalThis.leftBehind = 1;
        fs.writeFileSync(${JSON.stringify(scratch)} + "/file", "x");
        fs.mkdirSync(${JSON.stringify(scratch)} + "/locked/deeper", { recursive: true });
        fs.writeFileSync(${JSON.stringify(scratch)} + "/locked/deeper/file", "y");
        fs.chmodSync(${JSON.stringify(scratch)} + "/locked", 0);
        const child = spawn(process.execPath, ["-e", "setInterval(() => require('fs').appendFileSync(${JSON.stringify(ticks)}, '.'), 20)"], { detached: true, stdio: "ignore" });
        child.unref();
        return process.pid;
      }`;
      const first = supervisor.send(leave);
      await supervisor.ended(first.nonce);
      await supervisor.ready(2);
      const size = statSync(ticks, { throwIfNoEntry: false })?.size ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(statSync(ticks, { throwIfNoEntry: false })?.size ?? 0).toBe(size); // the detached child is gone
      const look = `import fs from "node:fs"; export default function f() { return { files: fs.readdirSync(${JSON.stringify(scratch)}), left: globalThis.leftBehind ?? null, pid: process.pid }; }`;
      const second = supervisor.send(look);
      await supervisor.ended(second.nonce);
      const output = supervisor.stdout();
      const report = parseReport(output.slice(0, output.indexOf(deadline.endLinePrefix(second.nonce))), second.token).report;
      expect(report?.result).toEqual({ files: [], left: null, pid: 1 });
    });
  },
);
