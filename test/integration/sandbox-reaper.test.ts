/**
 * Leftovers: a container whose owning process was SIGKILLed is removed at the next start, while a
 * container owned by a live process (this one, standing in for another engineer's test run or a
 * second server on the same engine) is left alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Docker from "dockerode";
import { afterEach, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
import { DockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { ensureImage } from "../../src/sandbox/image.js";
import { OWNER_LABEL, parseOwner, SANDBOX_LABEL } from "../../src/sandbox/owner.js";
import type { SandboxContainer } from "../../src/sandbox/sandbox-container.js";
import { createTestSandbox, describeSandbox, testSandboxConfig } from "../support/sandbox.js";

const docker = new Docker();

async function containersOwnedBy(pid: number) {
  const all = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=1`] } });
  return all.filter((info) => parseOwner(info.Labels[OWNER_LABEL])?.pid === pid);
}

async function exists(id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch {
    return false;
  }
}

/** A separate node process that starts a sandbox job which never ends. */
function startHangingOwner(dir: string): ChildProcess {
  const script = path.join(dir, "hanging-owner.mts");
  const src = (file: string) => JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src", file)).href);
  writeFileSync(
    script,
    `import { loadConfig } from ${src("config.ts")};
     import { createSandbox } from ${src("sandbox/index.ts")};
     const sandbox = await createSandbox(loadConfig({ SANDBOX_POOL_SIZE: "0" }));
     await sandbox.run({ action: "call", contract: "method", module: "export default function f() { for (;;) {} }", timeoutMs: 600000 });`,
  );
  return spawn(process.execPath, ["--import", "tsx", script], { cwd: PROJECT_ROOT, stdio: ["ignore", "ignore", "pipe"] });
}

describeSandbox("reaping containers of dead processes", () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  let mine: SandboxContainer | undefined;
  let ownSandbox: DockerSandbox | undefined;

  afterEach(async () => {
    child?.kill("SIGKILL");
    await ownSandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("removes a container left by a SIGKILLed process at the next start, and keeps a live process's container", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-reaper-"));
    child = startHangingOwner(dir);
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const childPid = child.pid!;
    const deadline = Date.now() + 90_000;
    while ((await containersOwnedBy(childPid)).length === 0) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the child never started its sandbox job; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const [leftover] = await containersOwnedBy(childPid);

    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(await exists(leftover!.Id)).toBe(true); // nobody cleaned up after the killed process

    // A container of a live owner (this test process), started before the next start-up.
    const config = testSandboxConfig({ poolSize: 0 });
    ownSandbox = new DockerSandbox(docker, await ensureImage(docker, config.sandbox.image), config.sandbox);
    mine = await ownSandbox.startContainer();

    const next = await createTestSandbox({ poolSize: 0 }); // the next start: runs the reaper
    await next.close();

    expect(await exists(leftover!.Id)).toBe(false);
    expect(await exists(mine.id)).toBe(true);
  });
}, { sandbox: { poolSize: 0 } });
