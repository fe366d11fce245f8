/**
 * Genesis: the one-time, idempotent set-up (`npm run genesis`, `toolforge genesis`).
 *   1. the store: opened, which runs its migrations (they make the root objects `system` and `nil`);
 *   2. the sandbox image, built when missing;
 *   3. the persona models in Ollama (`toolforge-brick` …), from the base models with each
 *      persona's SYSTEM prompt and an ADAPTER where one is configured.
 * Every step prints what it did or why it skipped; a second run changes nothing and says "exists".
 */
import type Docker from "dockerode";
import type { Config } from "../config.js";
import { OllamaClient } from "./ollama-client.js";
import { personaModelsStep } from "./persona-models.js";
import { StepRecorder, type GenesisLog, type GenesisReport } from "./report.js";
import { sandboxStep } from "./sandbox-step.js";
import { storeStep } from "./store-step.js";

export interface GenesisOptions {
  log?: GenesisLog;
  /** A Docker connection (default: DOCKER_HOST or the local socket). */
  docker?: Docker;
}

export async function runGenesis(config: Config, options: GenesisOptions = {}): Promise<GenesisReport> {
  const steps = new StepRecorder(options.log ?? ((line) => process.stdout.write(`${line}\n`)));
  const store = await storeStep(config, steps);
  await store.close();
  await sandboxStep(config, steps, options.docker);
  await personaModelsStep(config, steps, new OllamaClient(config.ollamaHost));
  return steps.report();
}

export { formatStep, type GenesisReport, type GenesisStep, type StepStatus } from "./report.js";
export { personaModelName, PERSONA_MODEL_PREFIX } from "./persona-models.js";
