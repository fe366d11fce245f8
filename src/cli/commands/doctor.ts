/** `toolforge doctor`: checks the installation; exit 1 when something essential is missing. */
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { EXIT_FAILURE } from "../failure.js";

export function register(program: Command): void {
  program
    .command("doctor")
    .description("check Node, Docker, runsc, the sandbox image, the store, Ollama and every persona's model")
    .option("--json", "print the checks as JSON")
    .action(async (options: { json?: boolean }) => {
      // Loaded here: the checks pull in the store, Docker and the model clients.
      const { doctorPassed, formatChecks, runDoctor } = await import("../doctor/run.js");
      const checks = await runDoctor(loadConfig());
      process.stdout.write(options.json ? `${JSON.stringify(checks, null, 2)}\n` : formatChecks(checks));
      const ok = doctorPassed(checks);
      if (!options.json) {
        process.stdout.write(
          ok ? "\nToolForge is ready.\n" : "\nSomething essential is missing: run the fix under each ✗, then `toolforge doctor` again.\n",
        );
      }
      if (!ok) process.exitCode = EXIT_FAILURE;
    });
}
