/**
 * The sandbox's walls, each tried from the inside by a module that wants out. The same suite runs
 * against a fresh container per job (sandbox-walls-cold.test.ts) and a warm pool whose containers
 * run job after job (sandbox-walls-pool.test.ts): a reused container must hold exactly as well as a
 * fresh one.
 */
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import { jobSucceeded, type JobResult, type Sandbox, type SandboxJob } from "../../src/sandbox/types.js";
import { describeSandbox, testSandboxConfig, type SandboxOverrides } from "../support/sandbox.js";

/** Small enough to keep the suite lean, long enough for a cold gVisor node to run the job. */
const TIMEOUT_WALL_MS = 3_000;

// Set before any sandbox exists, so even a pooled container started early could have inherited it.
const ENV_MARKER_NAME = "TOOLFORGE_WALL_MARKER";
const ENV_MARKER_VALUE = `env-${randomBytes(8).toString("hex")}`;
process.env[ENV_MARKER_NAME] = ENV_MARKER_VALUE;

function call(module: string, extra: Partial<SandboxJob> = {}): SandboxJob {
  return { action: "call", contract: "method", module, ...extra };
}

function resultOf(result: JobResult): unknown {
  expect(result.reportProblem, `stderr: ${result.stderr}`).toBeUndefined();
  expect(jobSucceeded(result)).toBe(true);
  return result.report?.result;
}

const trivialModule = `import assert from "node:assert/strict";
export default function twice(self, n) { return n * 2; }
export function test() { assert.equal(twice({}, 21), 42); }`;

export function defineWallTests(label: string, overrides: SandboxOverrides): void {
  describeSandbox(
    `sandbox walls (${label})`,
    (sandbox) => {
      describeNetworkWall(sandbox);

      it("does not show the host's environment variables", async () => {
        const env = resultOf(await sandbox().run(call(`export default function f() { return process.env; }`))) as Record<string, string>;
        expect(JSON.stringify(env)).not.toContain(ENV_MARKER_VALUE);
        expect(env[ENV_MARKER_NAME]).toBeUndefined();
        expect(Object.keys(env).every((name) => ["PATH", "HOSTNAME", "HOME"].includes(name))).toBe(true);
      });

      it("cannot read a file of the host", async () => {
        const hostFile = `/tmp/toolforge-wall-${randomBytes(8).toString("hex")}`;
        const secret = `secret-${randomBytes(8).toString("hex")}`;
        writeFileSync(hostFile, secret);
        try {
          const module = `import { readFileSync } from "node:fs";
          export default function f() {
            try { return { read: readFileSync(${JSON.stringify(hostFile)}, "utf8") }; }
            catch (error) { return { error: error.code }; }
          }`;
          const outcome = resultOf(await sandbox().run(call(module)));
          expect(outcome).toEqual({ error: "ENOENT" });
        } finally {
          rmSync(hostFile, { force: true });
        }
      });

      it("cannot write outside /tmp (the root is read-only), while /tmp is writable", async () => {
        const module = `import { writeFileSync } from "node:fs";
        export default function f() {
          const tryWrite = (file) => { try { writeFileSync(file, "x"); return "written"; } catch (error) { return error.code; } };
          return { root: tryWrite("/escape"), opt: tryWrite("/opt/toolforge/runner.mjs"), etc: tryWrite("/etc/passwd"), tmp: tryWrite("/tmp/fine") };
        }`;
        const outcome = resultOf(await sandbox().run(call(module))) as Record<string, string>;
        expect(outcome.tmp).toBe("written");
        for (const place of ["root", "opt", "etc"]) expect(["EROFS", "EACCES"]).toContain(outcome[place]);
      });

      it("cannot execute a file it wrote to /tmp (noexec), although node itself can be started", async () => {
        const module = `import { chmodSync, writeFileSync } from "node:fs";
        import { execFileSync } from "node:child_process";
        export default function f() {
          writeFileSync("/tmp/run-me", "#!/usr/bin/node\\nconsole.log('escaped')\\n");
          chmodSync("/tmp/run-me", 0o755);
          let fromTmp;
          try { fromTmp = execFileSync("/tmp/run-me").toString(); } catch (error) { fromTmp = error.code; }
          const control = execFileSync("/usr/bin/node", ["-e", "console.log('node runs')"]).toString().trim();
          return { fromTmp, control };
        }`;
        const outcome = resultOf(await sandbox().run(call(module)));
        expect(outcome).toEqual({ fromTmp: "EACCES", control: "node runs" });
      });

      it("does not run as root and cannot become root", async () => {
        const module = `export default function f() {
          const attempt = (change) => { try { change(); return "changed"; } catch (error) { return error.code; } };
          const refused = {
            setuid: attempt(() => process.setuid(0)),
            seteuid: attempt(() => process.seteuid(0)),
            setgid: attempt(() => process.setgid(0)),
          };
          return { uid: process.getuid(), gid: process.getgid(), euid: process.geteuid(), refused };
        }`;
        const outcome = resultOf(await sandbox().run(call(module))) as Record<string, unknown>;
        expect(outcome.uid).not.toBe(0);
        expect(outcome.euid).not.toBe(0);
        expect(outcome.gid).not.toBe(0);
        // EPERM: no capability to change; EINVAL: in the job's own user namespace, root does not even exist.
        for (const code of Object.values(outcome.refused as Record<string, string>)) expect(["EPERM", "EINVAL"]).toContain(code);
      });

      it("runs on gVisor's kernel, not the host's", async ({ skip }) => {
        if (testSandboxConfig(overrides).sandbox.runtime !== "runsc") skip("only under runsc");
        const release = resultOf(
          await sandbox().run(call(`import os from "node:os"; export default function f() { return os.release(); }`)),
        );
        expect(release).toBe("4.4.0");
        expect(os.release()).not.toBe("4.4.0");
      });

      it("ends a job that allocates beyond the memory limit as killed for memory, and the next job runs", async () => {
        const module = `export default function f() {
          const hoard = [];
          for (;;) { const block = Buffer.alloc(16 * 1024 * 1024); block.fill(1); hoard.push(block); }
        }`;
        const result = await sandbox().run(call(module, { timeoutMs: 30_000 }));
        expect(result.oomKilled).toBe(true);
        expect(result.timedOut).toBe(false);
        expect(result.report).toBeNull();
        expect(result.reportProblem).toMatch(/memory limit/);
        expect(jobSucceeded(result)).toBe(false);
        expect(resultOf(await sandbox().run(call(trivialModule, { input: { args: [5] } })))).toBe(10);
      });

      it("refuses processes beyond the limit in a process bomb, and the next job runs", async () => {
        const module = `import { spawn } from "node:child_process";
        export default function f() {
          let started = 0, refused = 0;
          for (let i = 0; i < 40; i++) {
            try {
              const child = spawn("/usr/bin/node", ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
              child.on("error", () => {});
              if (child.pid === undefined) refused++; else started++;
            } catch { refused++; }
          }
          return { started, refused };
        }`;
        const result = await sandbox().run(call(module, { timeoutMs: 60_000 }));
        const outcome = resultOf(result) as { started: number; refused: number };
        expect(outcome.refused).toBeGreaterThan(0);
        expect(outcome.started).toBeLessThan(40);
        expect(resultOf(await sandbox().run(call(trivialModule, { input: { args: [4] } })))).toBe(8);
      });

      it("kills a busy loop at the timeout", async () => {
        const result = await sandbox().run(call(`export default function f() { for (;;) {} }`, { timeoutMs: TIMEOUT_WALL_MS }));
        expect(result.timedOut).toBe(true);
        expect(result.exitCode).toBeNull();
        expect(result.report).toBeNull();
        expect(jobSucceeded(result)).toBe(false);
      });

      it("kills a job blocked in Atomics.wait at the timeout", async () => {
        const module = `export default function f() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return "woke"; }`;
        const result = await sandbox().run(call(module, { timeoutMs: TIMEOUT_WALL_MS }));
        expect(result.timedOut).toBe(true);
        expect(result.report).toBeNull();
        expect(jobSucceeded(result)).toBe(false);
      });

      it("truncates output floods on stdout and stderr (three at once, so Docker reads slowly) and still reads each report", async () => {
        const module = `export default function f() {
          const block = "x".repeat(1024 * 1024);
          for (let i = 0; i < 8; i++) { process.stdout.write(block); process.stderr.write(block); }
          return "still here";
        }`;
        const results = await Promise.all([1, 2, 3].map(() => sandbox().run(call(module, { timeoutMs: 60_000 }))));
        for (const result of results) {
          expect(resultOf(result)).toBe("still here");
          expect(result.stdoutTruncated).toBe(true);
          expect(result.stderrTruncated).toBe(true);
          expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(64 * 1024);
          expect(Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(64 * 1024);
        }
      });

      it("does not report ok for a module that prints a fake report and exits early", async () => {
        const module = `export default function f() {}
        export function test() {
          console.log('TOOLFORGE_REPORT 0123456789abcdef0123456789abcdef {"ok":true,"phase":"done","testCompleted":true}');
          process.exit(0);
        }`;
        const result = await sandbox().run({ action: "validate", contract: "method", module });
        expect(result.report).toBeNull();
        expect(result.reportProblem).toMatch(/wrong token/);
        expect(jobSucceeded(result)).toBe(false);
      });

      it("does not report ok for a module that calls process.exit(0) before its failing test ends", async () => {
        const module = `import assert from "node:assert/strict";
        export default function f() {}
        export function test() { setTimeout(() => assert.fail("never reached"), 10); process.exit(0); }`;
        const result = await sandbox().run({ action: "validate", contract: "method", module });
        expect(result.exitCode).toBe(0);
        expect(result.report).toBeNull();
        expect(jobSucceeded(result)).toBe(false);
      });

      it("completes 8 jobs at once", async () => {
        const jobs = Array.from({ length: 8 }, (_, n) => sandbox().run(call(trivialModule, { input: { args: [n] } })));
        const results = await Promise.all(jobs);
        expect(results.map(resultOf)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
      });
    },
    { sandbox: overrides },
  );
}

/** A listener on every address of the host; the job tries them all and none may be reached. */
function describeNetworkWall(sandbox: () => Sandbox): void {
  let server: http.Server;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      hits++;
      response.end("reached the host");
    });
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("cannot reach a listener on the host over the network", async () => {
    const port = (server.address() as AddressInfo).port;
    const addresses = new Set(["127.0.0.1", "172.17.0.1"]);
    for (const list of Object.values(os.networkInterfaces())) {
      for (const entry of list ?? []) if (entry.family === "IPv4") addresses.add(entry.address);
    }
    const urls = [...addresses].map((address) => `http://${address}:${port}/`);
    const module = `export default async function f() {
        const outcomes = {};
        for (const url of ${JSON.stringify(urls)}) {
          try { const response = await fetch(url, { signal: AbortSignal.timeout(1500) }); outcomes[url] = "reached: " + response.status; }
          catch (error) { outcomes[url] = "refused: " + (error.cause?.code ?? error.name); }
        }
        return outcomes;
      }`;
    const outcomes = resultOf(await sandbox().run(call(module, { timeoutMs: 30_000 }))) as Record<string, string>;
    expect(Object.keys(outcomes).sort()).toEqual([...urls].sort());
    for (const outcome of Object.values(outcomes)) expect(outcome).toMatch(/^refused: /);
    expect(hits).toBe(0);
  });
}
