/**
 * The sandbox's front door. `createSandbox(config)` is the ONE factory everything uses: it checks
 * Docker and the runtime (typed, actionable errors), builds the image when missing, removes
 * containers left by dead processes (reaper.ts) and the images of earlier runners (image-prune.ts),
 * and returns the pool (pool.ts): the one bound on how many gVisor containers this process runs,
 * each job in a fresh runner process with nothing of the job before it left.
 */
import Docker from "dockerode";
import type { Config } from "../config.js";
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import { errorMessage } from "../errors.js";
import { DockerSandbox } from "./docker-sandbox.js";
import { SandboxPool } from "./pool.js";
import { poolSettings } from "./pool-settings.js";
import { assertSandboxReady } from "./preflight.js";
import { pruneSandboxImages } from "./image-prune.js";
import { reapOrphanedContainers } from "./reaper.js";
import type { Sandbox } from "./types.js";

export interface CreateSandboxOptions {
  /** A Docker connection to use (default: DOCKER_HOST or the local socket). */
  docker?: Docker;
  /** Where what goes wrong in the background is reported (the runtime's channel; default: process warnings). */
  diagnostics?: Diagnostics;
}

export async function createSandbox(config: Config, options: CreateSandboxOptions = {}): Promise<Sandbox> {
  const docker = options.docker ?? new Docker();
  const diagnostics = options.diagnostics ?? processDiagnostics;
  const warn = (message: string) => diagnostics.warn("sandbox", message);
  const image = await assertSandboxReady(config, docker);
  if (config.sandbox.runtime === "runc") {
    warn(
      "SANDBOX_RUNTIME=runc: forged code runs on the host kernel; runc is NOT a security boundary. Use runsc (gVisor) for anything but debugging.",
    );
  }
  const reaped = await reapOrphanedContainers(docker);
  if (reaped.unjudged > 0) {
    warn(
      `${reaped.unjudged} sandbox container(s) of an older ToolForge are left alone: they carry no lifetime, so this version cannot tell ` +
        "whether their owner is alive. Remove them once no older ToolForge runs: `docker ps -a --filter label=toolforge.sandbox=1`",
    );
  }
  if (config.sandbox.image === undefined) {
    // Images of earlier runners this install built: a failure here only leaves them for the next start.
    await pruneSandboxImages(docker, { keep: image }).catch((error: unknown) =>
      warn(`could not prune old sandbox images: ${errorMessage(error)}`),
    );
  }
  const containers = new DockerSandbox(docker, image, config.sandbox, { diagnostics });
  return new SandboxPool(containers, poolSettings(config.sandbox), diagnostics);
}

export type { DockerSandboxOptions } from "./docker-sandbox.js";
export type { PoolSettings, PoolStats } from "./pool-settings.js";
export { checkSandbox, type CheckResult, type SandboxChecks } from "./preflight.js";
export { ensureImage, defaultImageTag } from "./image.js";
export * from "./types.js";
