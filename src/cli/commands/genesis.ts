/**
 * `toolforge genesis`: the one-time, idempotent set-up (store and root objects, sandbox image,
 * persona models in Ollama). Each step prints what it did or why it skipped; a failed step makes
 * the exit code 1.
 */
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { ToolForgeError } from "../../errors.js";

export function register(program: Command): void {
  program
    .command("genesis")
    .description(
      "set up ToolForge: migrate the store, create the root objects, build the sandbox image, create the persona models in Ollama (safe to run again)",
    )
    .action(async () => {
      // Loaded on use: genesis pulls in the store, the sandbox and the personas.
      const { runGenesis } = await import("../../genesis/index.js");
      const report = await runGenesis(loadConfig());
      const failed = report.steps.filter((step) => step.status === "failed");
      if (failed.length > 0) {
        throw new ToolForgeError(
          "genesis_incomplete",
          `genesis could not finish ${failed.map((step) => step.name).join(", ")} (see above)`,
          {
            hint: "fix what the failed steps say and run `toolforge genesis` again; finished steps are kept",
          },
        );
      }
    });
}
