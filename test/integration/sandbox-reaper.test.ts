/**
 * Leftovers on an engine shared by several ToolForge processes:
 *   - a container whose owner was SIGKILLed in this PID namespace is removed at the next start,
 *     while a live owner's container (this process, standing in for another server) is left alone;
 *   - two owners with ONE host name in DIFFERENT PID namespaces (a child in its own namespace, made
 *     with `unshare`, like a server in another container on the same host): the other's live
 *     container is never removed, and when that owner dies its container ends itself by its deadline;
 *   - an orphan whose owner cannot be judged is removed once the lifetime on its label has passed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Docker from "dockerode";
import { afterEach, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
import { ABANDONED_EXIT_CODE, DEADLINE_EXIT_CODE, IDLE_EXIT_CODE } from "../../src/sandbox/deadline.js";
import { DockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { ensureImage } from "../../src/sandbox/image.js";
import { OWNER_LABEL, SANDBOX_LABEL } from "../../src/sandbox/labels.js";
import { reapOrphanedContainers } from "../../src/sandbox/reaper.js";
import type { SandboxContainer } from "../../src/sandbox/sandbox-container.js";
import { currentProcess, parseIdentity } from "../../src/util/process-identity.js";
import { createTestSandbox, describeSandbox, testSandboxConfig } from "../support/sandbox.js";
import { until } from "../support/until.js";

const docker = new Docker();

/** Null when a child can be started in its own PID namespace here (root and util-linux's unshare). */
const unshareProblem: string | null = (() => {
  const probe = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "--kill-child", "true"], { encoding: "utf8" });
  if (probe.error) return `unshare is not available (${probe.error.message})`;
  return probe.status === 0 ? null : `unshare --pid cannot run here (${probe.stderr.trim() || `exit ${probe.status}`}): it needs root`;
})();

async function containersOwnedBy(ownerLabel: string) {
  return docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=1`, `${OWNER_LABEL}=${ownerLabel}`] } });
}

async function state(id: string): Promise<{ running: boolean; exitCode: number } | null> {
  try {
    const info = await docker.getContainer(id).inspect();
    return { running: info.State.Running, exitCode: info.State.ExitCode };
  } catch {
    return null;
  }
}

/**
 * A separate node process that prints its owner label, then runs a sandbox job that spins (its
 * timeout: `timeoutMs`). `inOwnPidNamespace`: as PID 1 of a new PID namespace (killing `unshare`
 * kills it).
 */
function startSpinningOwner(
  dir: string,
  options: { timeoutMs: number; inOwnPidNamespace?: boolean },
): { child: ChildProcess; ownerLabel: Promise<string> } {
  const script = path.join(dir, `spinning-owner-${Math.random().toString(16).slice(2)}.mts`);
  const src = (file: string) => JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src", file)).href);
  writeFileSync(
    script,
    `import { loadConfig } from ${src("config.ts")};
     import { createSandbox } from ${src("sandbox/index.ts")};
     import { currentProcess, formatIdentity } from ${src("util/process-identity.ts")};
     process.stdout.write("OWNER " + formatIdentity(currentProcess()) + "\\n");
     const sandbox = await createSandbox(loadConfig({ SANDBOX_POOL_SIZE: "0" }), { diagnostics: { warn: () => undefined } });
     await sandbox.run({ action: "call", contract: "method", module: "export default function f() { for (;;) {} }", timeoutMs: ${options.timeoutMs} });`,
  );
  const command = [process.execPath, "--import", "tsx", script];
  const [file, ...args] = options.inOwnPidNamespace ? ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", ...command] : command;
  const child = spawn(file!, args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const ownerLabel = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /^OWNER (.+)$/m.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on("exit", (code) => reject(new Error(`the owner exited (${code}) before saying who it is; stderr: ${stderr}`)));
  });
  return { child, ownerLabel };
}

/** Waits for the owner's one sandbox container to be running; returns its id. */
async function runningContainerOf(owner: { child: ChildProcess; ownerLabel: Promise<string> }): Promise<string> {
  const label = await owner.ownerLabel;
  const [found] = await until(
    "the owner's sandbox container",
    () => containersOwnedBy(label),
    (list) => list.some((c) => c.State === "running"),
    { timeoutMs: 120_000 },
  );
  return found!.Id;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describeSandbox(
  "reaping containers of dead processes",
  () => {
    const children: ChildProcess[] = [];
    const made: string[] = [];
    const sandboxes: DockerSandbox[] = [];
    let dir: string | undefined;

    afterEach(async () => {
      for (const child of children.splice(0)) await kill(child);
      for (const sandbox of sandboxes.splice(0)) await sandbox.close();
      for (const id of made.splice(0))
        await docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("removes a container left by a SIGKILLed process of this PID namespace at the next start, and keeps a live process's container", async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-reaper-"));
      const owner = startSpinningOwner(dir, { timeoutMs: 600_000 });
      children.push(owner.child);
      const leftover = await runningContainerOf(owner);
      made.push(leftover);

      // With the owner gone, nobody kills the job: the container ends itself (its input closed), and the next start removes it.
      await kill(owner.child);
      expect(await state(leftover)).not.toBeNull(); // nobody removed it yet

      // A container of a live owner (this test process), started before the next start-up.
      const config = testSandboxConfig({ poolSize: 0 });
      const own = new DockerSandbox(docker, await ensureImage(docker, config.sandbox.image), config.sandbox);
      sandboxes.push(own);
      const mine: SandboxContainer = await own.startContainer();

      const next = await createTestSandbox({ poolSize: 0 }); // the next start: runs the reaper
      await next.close();

      expect(await state(leftover)).toBeNull();
      expect(await state(mine.id)).not.toBeNull();
    });

    it.skipIf(unshareProblem !== null)(
      `never removes a live owner's container from another PID namespace with the same host name; once that owner dies its container ends itself${unshareProblem ? ` (skipped: ${unshareProblem})` : ""}`,
      async () => {
        dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-reaper-"));
        const other = startSpinningOwner(dir, { timeoutMs: 600_000, inOwnPidNamespace: true });
        children.push(other.child);
        const theirs = await runningContainerOf(other);
        made.push(theirs);
        const owner = parseIdentity(await other.ownerLabel)!;
        expect(owner.host).toBe(currentProcess().host);
        expect(owner.pidNamespace).not.toBe(currentProcess().pidNamespace);

        const next = await createTestSandbox({ poolSize: 0 }); // a second server starting on the same engine
        await next.close();
        expect(await state(theirs)).toMatchObject({ running: true });

        // Its owner dies: nobody on the host kills the spinning job, the container ends it by itself.
        await kill(other.child);
        const ended = await until(
          "the orphaned container",
          () => state(theirs),
          (s) => s !== null && !s.running,
          { timeoutMs: 120_000 },
        );
        expect([ABANDONED_EXIT_CODE, DEADLINE_EXIT_CODE]).toContain(ended!.exitCode);
        // Its owner cannot be judged from here, and its lifetime has not passed: it is kept for now.
        await reapOrphanedContainers(docker);
        expect(await state(theirs)).not.toBeNull();
      },
    );

    it("removes an orphan whose owner it cannot judge once the lifetime on its label has passed, and not before", async () => {
      const config = testSandboxConfig({ poolSize: 0 });
      const elsewhere = { ...currentProcess(), pidNamespace: "pid:[1]", pid: 1 }; // another namespace: never judged by pid
      const timing = { startAllowanceMs: 1_000, coldIdleMs: 2_000, poolIdleMs: 2_000 };
      const sandbox = new DockerSandbox(docker, await ensureImage(docker, config.sandbox.image), config.sandbox, {
        owner: elsewhere,
        timing,
      });
      sandboxes.push(sandbox);
      const container = await sandbox.startContainer({ jobTimeoutMs: 1_000 });
      made.push(container.id);

      // No job comes: the container ends itself at its idle deadline.
      const ended = await until(
        "the idle container",
        () => state(container.id),
        (s) => s !== null && !s.running,
        { timeoutMs: 120_000 },
      );
      expect(ended!.exitCode).toBe(IDLE_EXIT_CODE);

      const first = await reapOrphanedContainers(docker);
      if (!first.removed.includes(container.id)) {
        expect(await state(container.id)).not.toBeNull();
        await until(
          "the expired container",
          async () => (await reapOrphanedContainers(docker), state(container.id)),
          (s) => s === null,
          { timeoutMs: 180_000 },
        );
      }
      expect(await state(container.id)).toBeNull();
    });
  },
  { sandbox: { poolSize: 0 } },
);
