/**
 * Genesis for the sandbox: builds the sandbox image when it is missing (offline, see
 * src/sandbox/image.ts). Without Docker or the gVisor runtime it skips, saying how to get them.
 */
import Docker from "dockerode";
import type { Config } from "../config.js";
import { checkSandbox, defaultImageTag, ensureImage } from "../sandbox/index.js";
import { imageExists } from "../sandbox/image.js";
import type { StepRecorder } from "./report.js";
import { errorMessage } from "../errors.js";

export async function sandboxStep(config: Config, steps: StepRecorder, docker: Docker = new Docker()): Promise<void> {
  const name = "sandbox image";
  const checks = await checkSandbox(config, { docker });
  for (const check of [checks.docker, checks.runtime]) {
    if (!check.ok) {
      steps.add(name, "skipped", `${check.detail}${check.fix ? ` — ${check.fix}` : ""}`);
      return;
    }
  }
  const reference = config.sandbox.image ?? (await defaultImageTag());
  if (await imageExists(docker, reference)) {
    steps.add(name, "exists", `${reference} is present (runtime ${config.sandbox.runtime})`);
    return;
  }
  try {
    const built = await ensureImage(docker, config.sandbox.image);
    steps.add(name, "created", `built ${built} (runtime ${config.sandbox.runtime})`);
  } catch (error) {
    steps.add(name, "failed", errorMessage(error));
  }
}
