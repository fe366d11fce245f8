/**
 * Is the sandbox usable here? Per-check results for `toolforge doctor`, and the same checks as a
 * typed error (SandboxUnavailableError naming what is missing and how to fix it) for everything
 * that is about to run a job.
 */
import Docker from "dockerode";
import type { Config } from "../config.js";
import { SandboxUnavailableError, errorMessage } from "../errors.js";
import { defaultImageTag, ensureImage, imageExists } from "./image.js";

export interface CheckResult {
  ok: boolean;
  /** What was found, in a sentence. */
  detail: string;
  /** What to do about it, when not ok (a command or a config snippet). */
  fix?: string;
}

export interface SandboxChecks {
  docker: CheckResult;
  runtime: CheckResult;
  image: CheckResult;
}

const START_DOCKER =
  "run `bash scripts/provision-sandbox.sh` (installs and starts Docker + gVisor), or `sudo systemctl start docker` where systemd runs";

export function runtimeFix(runtime: string): string {
  if (runtime !== "runsc") return `register the ${runtime} runtime in /etc/docker/daemon.json and reload dockerd`;
  return (
    "install gVisor (`apt-get install runsc`) and register it in /etc/docker/daemon.json:\n" +
    '    {"runtimes":{"runsc":{"path":"/usr/bin/runsc","runtimeArgs":["--network=none"]}}}\n' +
    "  then reload dockerd: `sudo kill -HUP $(pidof dockerd)` (or `sudo systemctl restart docker`); " +
    "`bash scripts/provision-sandbox.sh` does all of it"
  );
}

async function checkDocker(docker: Docker): Promise<CheckResult> {
  try {
    const version = await docker.version();
    return { ok: true, detail: `Docker engine ${version.Version} (API ${version.ApiVersion}) is reachable` };
  } catch (error) {
    const where = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : "/var/run/docker.sock";
    return { ok: false, detail: `the Docker engine at ${where} is not reachable: ${errorMessage(error)}`, fix: START_DOCKER };
  }
}

async function checkRuntime(docker: Docker, runtime: string): Promise<CheckResult> {
  let runtimes: string[];
  try {
    const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
    runtimes = Object.keys(info.Runtimes ?? {});
  } catch (error) {
    return { ok: false, detail: `could not ask Docker for its runtimes: ${errorMessage(error)}`, fix: START_DOCKER };
  }
  if (!runtimes.includes(runtime)) {
    return {
      ok: false,
      detail: `the Docker engine has no "${runtime}" runtime (it has: ${runtimes.join(", ") || "none"})`,
      fix: runtimeFix(runtime),
    };
  }
  if (runtime === "runc") {
    return { ok: true, detail: "SANDBOX_RUNTIME=runc: containers share the host kernel, which is NO security boundary for forged code" };
  }
  return { ok: true, detail: `the "${runtime}" (gVisor) runtime is registered` };
}

async function checkImage(docker: Docker, config: Config, build: boolean): Promise<CheckResult> {
  const configured = config.sandbox.image;
  try {
    if (build) return { ok: true, detail: `image ${await ensureImage(docker, configured)} is present` };
    const reference = configured ?? (await defaultImageTag());
    if (await imageExists(docker, reference)) return { ok: true, detail: `image ${reference} is present` };
    if (configured) {
      return {
        ok: false,
        detail: `the image ${configured} (SANDBOX_IMAGE) is not present`,
        fix: `pull or build it, or unset SANDBOX_IMAGE so ToolForge builds its own image offline`,
      };
    }
    return { ok: true, detail: `image ${reference} is not built yet; it is built offline on first use (or by \`toolforge genesis\`)` };
  } catch (error) {
    const hint = error instanceof SandboxUnavailableError ? error.hint : undefined;
    return { ok: false, detail: errorMessage(error).split("\n  → ")[0]!, ...(hint ? { fix: hint } : {}) };
  }
}

/**
 * Per-check results (never throws). With `build: true` a missing default image is built now, so
 * the image check reports whether building works.
 */
export async function checkSandbox(config: Config, options: { docker?: Docker; build?: boolean } = {}): Promise<SandboxChecks> {
  const docker = options.docker ?? new Docker();
  const dockerCheck = await checkDocker(docker);
  if (!dockerCheck.ok) {
    const skipped = { ok: false, detail: "not checked: Docker is not reachable", fix: START_DOCKER };
    return { docker: dockerCheck, runtime: skipped, image: skipped };
  }
  return {
    docker: dockerCheck,
    runtime: await checkRuntime(docker, config.sandbox.runtime),
    image: await checkImage(docker, config, options.build ?? false),
  };
}

/** Throws SandboxUnavailableError for the first failing check; builds the image when missing. */
export async function assertSandboxReady(config: Config, docker: Docker): Promise<string> {
  const dockerCheck = await checkDocker(docker);
  if (!dockerCheck.ok) throw new SandboxUnavailableError(dockerCheck.detail, dockerCheck.fix!);
  const runtimeCheck = await checkRuntime(docker, config.sandbox.runtime);
  if (!runtimeCheck.ok) throw new SandboxUnavailableError(runtimeCheck.detail, runtimeCheck.fix!);
  return ensureImage(docker, config.sandbox.image);
}
