/**
 * The sandbox's prerequisites, from the sandbox's own preflight (checkSandbox): the Docker engine
 * answers, the configured runtime (runsc by default) is registered, and the image is present or
 * can be built. Nothing here starts a container.
 */
import type { Config } from "../../config.js";
import { checkSandbox, type CheckResult } from "../../sandbox/index.js";
import { failed, passed, type DoctorCheck } from "./types.js";

export async function checkSandboxPrerequisites(config: Config): Promise<DoctorCheck[]> {
  const checks = await checkSandbox(config);
  const runtimeName = config.sandbox.runtime === "runsc" ? "runsc" : `runtime ${config.sandbox.runtime}`;
  const runtime =
    checks.runtime.ok && config.sandbox.runtime === "runc"
      ? failed(runtimeName, checks.runtime.detail, "unset SANDBOX_RUNTIME (runsc, gVisor, is the default) once gVisor is installed", false)
      : toCheck(runtimeName, checks.runtime);
  return [toCheck("Docker", checks.docker), runtime, toCheck("sandbox image", checks.image)];
}

function toCheck(name: string, result: CheckResult): DoctorCheck {
  return result.ok ? passed(name, result.detail) : failed(name, result.detail, result.fix);
}
