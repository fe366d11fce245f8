/**
 * The watchdog (sandbox/watchdog.mjs) run as a bare node process on the host: the deadlines it
 * enforces whatever the job does, and its protocol. Whether a hostile module can stop it is tried
 * inside the container (test/integration/sandbox-deadline.test.ts), where it runs as another user.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
import * as deadline from "../../src/sandbox/deadline.js";
import { parseReport } from "../../src/sandbox/output.js";

const WATCHDOG = path.join(PROJECT_ROOT, "sandbox", "watchdog.mjs");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the watchdog; once the runner is READY, `send` (if any) is written and stdin is kept open unless `end`. */
function runWatchdog(args: string[], send?: string, options: { end?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WATCHDOG, ...args], { stdio: ["pipe", "pipe", "pipe"], env: {} });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (!sent && stdout.includes("TOOLFORGE_READY\n")) {
        sent = true;
        if (send !== undefined) child.stdin.write(send);
        if (options.end) child.stdin.end();
      }
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function job(module: string): { token: string; line: string } {
  const token = randomBytes(16).toString("hex");
  return { token, line: JSON.stringify({ token, action: "call", contract: "method", module, input: { self: {}, args: [] } }) + "\n" };
}

describe("the watchdog's constants", () => {
  it("are the host's (src/sandbox/deadline.ts)", () => {
    const source = readFileSync(WATCHDOG, "utf8");
    const constant = (name: string) => {
      const match = new RegExp(`^const ${name} = (.+);$`, "m").exec(source);
      if (!match) throw new Error(`watchdog.mjs has no constant ${name}`);
      const text = match[1]!;
      return text.startsWith('"') ? (JSON.parse(text) as unknown) : Number(text.replace(/_/g, ""));
    };
    for (const name of [
      "DEADLINE_LINE_PREFIX",
      "IDLE_EXIT_CODE",
      "DEADLINE_EXIT_CODE",
      "ABANDONED_EXIT_CODE",
      "DEADLINE_GRACE_MS",
      "RUNNER_UID",
      "RUNNER_GID",
    ] as const) {
      expect([name, constant(name)]).toEqual([name, deadline[name]]);
    }
  });
});

describe("the watchdog's deadlines", () => {
  it("passes a job through to the runner and exits with the runner's code", async () => {
    const { token, line } = job("export default function f(self, n) { return n * 2; }");
    const run = await runWatchdog(["60000", "60000"], deadline.deadlineLine(5_000) + line.replace('"args":[]', '"args":[21]'));
    expect(run.code).toBe(0);
    expect(parseReport(run.stdout, token).report?.result).toBe(42);
  });

  it("ends a busy loop at the job's deadline", async () => {
    const run = await runWatchdog(["60000", "60000"], deadline.deadlineLine(300) + job("export default function f() { for (;;) {} }").line);
    expect(run.code).toBe(deadline.DEADLINE_EXIT_CODE);
    expect(run.stdout).not.toContain("TOOLFORGE_REPORT");
  });

  it("ends a job blocked in Atomics.wait at the job's deadline", async () => {
    const module = "export default function f() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }";
    const run = await runWatchdog(["60000", "60000"], deadline.deadlineLine(300) + job(module).line);
    expect(run.code).toBe(deadline.DEADLINE_EXIT_CODE);
  });

  it("cuts a deadline longer than the container's maximum job", async () => {
    const run = await runWatchdog(
      ["60000", "300"],
      deadline.deadlineLine(600_000) + job("export default function f() { for (;;) {} }").line,
    );
    expect(run.code).toBe(deadline.DEADLINE_EXIT_CODE);
  });

  it("ends an idle runner when no job comes in time", async () => {
    const run = await runWatchdog(["1500", "60000"]);
    expect(run.code).toBe(deadline.IDLE_EXIT_CODE);
  });

  it("ends at once when the host's side of stdin closes, before or during a job", async () => {
    expect((await runWatchdog(["60000", "60000"], "", { end: true })).code).toBe(deadline.ABANDONED_EXIT_CODE);
    const spinning = deadline.deadlineLine(60_000) + job("export default function f() { for (;;) {} }").line;
    expect((await runWatchdog(["60000", "60000"], spinning, { end: true })).code).toBe(deadline.ABANDONED_EXIT_CODE);
  });

  it("refuses a first line that is not a deadline, and bad arguments", async () => {
    const run = await runWatchdog(["60000", "60000"], job("export default () => 1").line);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a deadline|too long for a deadline/);
    const usage = await new Promise<number | null>((resolve) => spawn(process.execPath, [WATCHDOG, "soon"]).on("close", resolve));
    expect(usage).toBe(2);
  });
});
