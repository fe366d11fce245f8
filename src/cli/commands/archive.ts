/**
 * `toolforge archive create --reason "…" | list | restore FILE`: chronicles of the store and the
 * dynamic tools (see src/archive). `restore` must run with no ToolForge process on the data.
 */
import type { Command } from "commander";
import { loadConfig } from "../../config.js";

// The archive and store modules load only when a subcommand runs, so `toolforge --help` stays fast.
const archives = () => import("../../archive/index.js");
const stores = () => import("../../store/index.js");

export function register(program: Command): void {
  const archive = program.command("archive").description("chronicles: archive the store and the dynamic tools, list and restore them");

  archive
    .command("create")
    .description("write a tar.gz with a consistent snapshot of the store, the dynamic tools and a manifest")
    .requiredOption("--reason <text>", "why this chronicle is made (kept in its manifest)")
    .option("--out-dir <dir>", "where to write it (default: DATA_DIR/archives)")
    .action(async (options: { reason: string; outDir?: string }) => {
      const config = loadConfig();
      const { createArchive } = await archives();
      const store = await (await stores()).openStore(config);
      try {
        const { file, manifest } = await createArchive(config, store, {
          reason: options.reason,
          ...(options.outDir ? { outDir: options.outDir } : {}),
        });
        process.stdout.write(
          `${file}\n  ${Object.keys(manifest.files).length} files, ${manifest.storeKind} store, ${manifest.createdAt}\n`,
        );
      } finally {
        await store.close();
      }
    });

  archive
    .command("list")
    .description("the chronicles in DATA_DIR/archives, oldest first, with their reason and time")
    .action(async () => {
      const listings = await (await archives()).listArchives(loadConfig());
      if (listings.length === 0) {
        process.stdout.write('no chronicles yet: `toolforge archive create --reason "…"` writes one\n');
        return;
      }
      for (const listing of listings) {
        if (listing.ok) {
          process.stdout.write(`${listing.manifest.createdAt}  ${listing.file}\n  reason: ${listing.manifest.reason}\n`);
        } else {
          process.stdout.write(`damaged  ${listing.file}\n  ${listing.problem}\n`);
        }
      }
    });

  archive
    .command("restore")
    .description("verify every checksum of FILE, then replace the store and the dynamic tools with it")
    .argument("<file>", "a chronicle written by `archive create`")
    .action(async (file: string) => {
      const { file: restored, manifest } = await (await archives()).restoreArchive(loadConfig(), file);
      process.stdout.write(`restored ${restored}\n  made ${manifest.createdAt}: ${manifest.reason}\n`);
    });
}
