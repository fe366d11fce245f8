/**
 * `toolforge dataset export [--out FILE] [--only forge|personas] [--persona NAME]`: the fine-tuning
 * dataset as chat-format JSONL (see src/dataset and docs/objects.md for training and plugging the
 * adapter back in through genesis).
 */
import { Option, type Command } from "commander";
import { loadConfig, type PersonaName } from "../../config.js";

interface ExportOptions {
  out?: string;
  only?: "forge" | "personas";
  persona?: PersonaName;
}

export function register(program: Command): void {
  const dataset = program.command("dataset").description("the fine-tuning dataset of forge results and persona turns");
  dataset
    .command("export")
    .description('write the dataset as JSONL in chat format ({"messages": [{role, content}, …]} per line)')
    .option("--out <file>", "the JSONL file (default: DATA_DIR/datasets/dataset-<time>.jsonl)")
    .addOption(new Option("--only <kind>", "only forge results or only persona turns").choices(["forge", "personas"]))
    .addOption(new Option("--persona <name>", "persona turns of one persona only").choices(["brick", "robin", "babs", "alfred"]))
    .action(async (options: ExportOptions) => {
      const config = loadConfig();
      // Loaded on use, so `toolforge --help` does not pay for the dataset and store modules.
      const { exportDataset } = await import("../../dataset/index.js");
      const store = await (await import("../../store/index.js")).openStore(config);
      try {
        const written = await exportDataset(config, store, options);
        process.stdout.write(`${written.file}\n  ${written.forgeExamples} forge examples, ${written.personaExamples} persona examples\n`);
      } finally {
        await store.close();
      }
    });
}
