/**
 * `npm run genesis` (also `toolforge genesis`): the one-time, idempotent set-up — the store and its
 * root objects, the sandbox image, the persona models in Ollama. See src/genesis/index.ts.
 */
import { pathToFileURL } from "node:url";
import { loadConfig } from "./src/config.js";
import { reportFailure } from "./src/cli/failure.js";
import { runGenesis } from "./src/genesis/index.js";

export { runGenesis } from "./src/genesis/index.js";
export type { GenesisReport, GenesisStep, StepStatus } from "./src/genesis/index.js";

async function main(): Promise<number> {
  const report = await runGenesis(loadConfig());
  return report.ok ? 0 : 1;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportFailure(error);
    },
  );
}
