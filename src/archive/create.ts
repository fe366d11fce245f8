/**
 * `toolforge archive create --reason "…"`: a chronicle is a tar.gz holding a consistent snapshot of
 * the store (`store.exportSnapshot`: SQLite's online backup, or a JSONL export per ArangoDB
 * collection), a copy of the dynamic tools directory, and `manifest.json` (reason, time, version,
 * store kind, sha256 and size of every file). Written to a temporary name and renamed into
 * DATA_DIR/archives, so a chronicle that exists is complete.
 */
import { randomBytes } from "node:crypto";
import { chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { create as createTar } from "tar";
import type { Config } from "../config.js";
import type { Store } from "../store/types.js";
import { isDirectory } from "./files.js";
import { buildManifest, MANIFEST_NAME, STORE_FOLDER, TOOLS_FOLDER, type ChronicleManifest } from "./manifest.js";
import { toolforgeVersion } from "./version.js";

export const ARCHIVE_SUFFIX = ".tar.gz";

export function archivesDir(config: Pick<Config, "dataDir">): string {
  return path.join(config.dataDir, "archives");
}

export interface CreatedArchive {
  file: string;
  manifest: ChronicleManifest;
}

export async function createArchive(
  config: Pick<Config, "dataDir" | "dynamicToolsDir">,
  store: Store,
  options: { reason: string; outDir?: string },
): Promise<CreatedArchive> {
  const outDir = options.outDir ?? archivesDir(config);
  await mkdir(outDir, { recursive: true });
  const staging = await mkdtemp(path.join(os.tmpdir(), "toolforge-chronicle-"));
  try {
    await store.exportSnapshot(path.join(staging, STORE_FOLDER));
    const tools = path.join(staging, TOOLS_FOLDER);
    await mkdir(tools);
    if (await isDirectory(config.dynamicToolsDir)) await cp(config.dynamicToolsDir, tools, { recursive: true });
    const createdAt = new Date().toISOString();
    const manifest = await buildManifest(staging, {
      reason: options.reason,
      createdAt,
      toolforgeVersion: toolforgeVersion(),
      storeKind: store.kind,
    });
    await writeFile(path.join(staging, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + "\n");

    const file = path.join(outDir, archiveName(createdAt));
    const partial = `${file}.${randomBytes(4).toString("hex")}.partial`;
    try {
      await createTar({ gzip: true, file: partial, cwd: staging, portable: true }, [MANIFEST_NAME, STORE_FOLDER, TOOLS_FOLDER]);
      // The store's copy holds the credentials of grants: the chronicle is its owner's alone.
      await chmod(partial, 0o600);
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { file, manifest };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** `chronicle-2026-01-02T03-04-05-678Z-1a2b.tar.gz`: sorts by time, never collides. */
function archiveName(createdAt: string): string {
  return `chronicle-${createdAt.replace(/:/g, "-").replace(/\./g, "-")}-${randomBytes(2).toString("hex")}${ARCHIVE_SUFFIX}`;
}
