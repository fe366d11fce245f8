/**
 * `toolforge archive restore FILE`. Nothing is touched until the whole archive checks out:
 *   1. extract into a temporary directory, refusing any entry that is not a regular file or a
 *      directory and any path that would land outside it;
 *   2. verify the manifest: every listed file present with its size and sha256, no unlisted file,
 *      the store kind the same as the configured one — a tampered archive is refused naming the file;
 *   3. stage the dynamic tools beside the live directory (same file system, so the swap is a rename);
 *   4. restore the store with `restoreStoreSnapshot` (the store is the old one or the restored one,
 *      never a mix); if it fails, the staged tools are removed and nothing has changed;
 *   5. swap the dynamic tools directory in by rename.
 * Run it with no ToolForge process using the data directory (the SQLite restore refuses otherwise).
 */
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { extract, type ReadEntry } from "tar";
import type { Config } from "../config.js";
import { InvalidInputError, NotFoundError, errorMessage } from "../errors.js";
import { restoreStoreSnapshot } from "../store/index.js";
import { isDirectory } from "./files.js";
import { STORE_FOLDER, TamperedArchiveError, TOOLS_FOLDER, verifyExtracted, type ChronicleManifest } from "./manifest.js";

export interface RestoredArchive {
  file: string;
  manifest: ChronicleManifest;
}

export async function restoreArchive(
  config: Pick<Config, "dataDir" | "dynamicToolsDir" | "arango">,
  file: string,
): Promise<RestoredArchive> {
  const archive = path.resolve(file);
  await requireFile(archive);
  const work = await mkdtemp(path.join(os.tmpdir(), "toolforge-restore-"));
  try {
    await extractChecked(archive, work);
    const manifest = await verifyExtracted(work, archive);
    const configured = config.arango === null ? "sqlite" : "arango";
    if (manifest.storeKind !== configured) {
      throw new InvalidInputError(
        `${archive} holds a ${manifest.storeKind} store, but the configured store is ${configured}; nothing was changed`,
        configured === "sqlite" ? "set ARANGO_URL to restore it into ArangoDB" : "unset ARANGO_URL to restore it into the SQLite store",
      );
    }
    const staged = await stageTools(path.join(work, TOOLS_FOLDER), config.dynamicToolsDir);
    try {
      await restoreStoreSnapshot(config, path.join(work, STORE_FOLDER));
    } catch (error) {
      await rm(staged, { recursive: true, force: true });
      throw error;
    }
    await swapIn(staged, config.dynamicToolsDir);
    return { file: archive, manifest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function requireFile(file: string): Promise<void> {
  try {
    if ((await stat(file)).isFile()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  throw new NotFoundError(`no archive at ${file}`, "`toolforge archive list` shows the chronicles in DATA_DIR/archives");
}

/** Extracts regular files and directories only; any other entry, or an unsafe path, refuses the archive. */
async function extractChecked(archive: string, dir: string): Promise<void> {
  const refused: { path: string; type: string }[] = [];
  try {
    await extract({
      file: archive,
      cwd: dir,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (entryPath, entry) => {
        const type = (entry as ReadEntry).type;
        if (type === "File" || type === "OldFile" || type === "Directory") return true;
        refused.push({ path: entryPath, type: String(type) });
        return false;
      },
    });
  } catch (error) {
    throw new InvalidInputError(
      `refusing to restore ${archive}: it cannot be read as a chronicle (${errorMessage(error)}); nothing was changed`,
      "the archive is damaged or not a tar.gz written by `toolforge archive create`",
    );
  }
  const first = refused[0];
  if (first) throw new TamperedArchiveError(archive, first.path, `is a ${first.type} entry, not a regular file`);
}

/** Copies the archived tools next to the live directory, so the final swap is a rename on one file system. */
async function stageTools(source: string, live: string): Promise<string> {
  await mkdir(path.dirname(live), { recursive: true });
  const staged = `${live}.restoring-${randomBytes(4).toString("hex")}`;
  await mkdir(staged);
  try {
    if (await isDirectory(source)) await cp(source, staged, { recursive: true });
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
  return staged;
}

/** live → live.old-…, staged → live, then the old one is removed; put back when the second rename fails. */
async function swapIn(staged: string, live: string): Promise<void> {
  const old = `${live}.old-${randomBytes(4).toString("hex")}`;
  const hadLive = await isDirectory(live);
  if (hadLive) await rename(live, old);
  try {
    await rename(staged, live);
  } catch (error) {
    if (hadLive) await rename(old, live);
    throw error;
  }
  if (hadLive) await rm(old, { recursive: true, force: true });
}
