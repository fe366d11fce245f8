/**
 * `toolforge archive list`: the chronicles in DATA_DIR/archives with their reason and time, read
 * from each archive's own manifest (an archive whose manifest cannot be read is listed as damaged).
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { list as listTar, type ReadEntry } from "tar";
import type { Config } from "../config.js";
import { ARCHIVE_SUFFIX, archivesDir } from "./create.js";
import { isDirectory } from "./files.js";
import { MANIFEST_NAME, parseManifest, type ChronicleManifest } from "./manifest.js";
import { errorMessage } from "../errors.js";

export type ArchiveListing =
  { file: string; size: number; ok: true; manifest: ChronicleManifest } | { file: string; size: number; ok: false; problem: string };

export async function listArchives(config: Pick<Config, "dataDir">): Promise<ArchiveListing[]> {
  const dir = archivesDir(config);
  if (!(await isDirectory(dir))) return [];
  const names = (await readdir(dir)).filter((name) => name.endsWith(ARCHIVE_SUFFIX)).sort();
  const out: ArchiveListing[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const size = (await stat(file)).size;
    try {
      out.push({ file, size, ok: true, manifest: parseManifest(await readManifestFromArchive(file), file) });
    } catch (error) {
      out.push({ file, size, ok: false, problem: errorMessage(error) });
    }
  }
  return out;
}

/** The text of the archive's manifest.json, read without extracting anything else. */
export async function readManifestFromArchive(file: string): Promise<string> {
  const chunks: Buffer[] = [];
  let found = false;
  await listTar({
    file,
    strict: true,
    filter: (entryPath) => normalise(entryPath) === MANIFEST_NAME,
    onReadEntry: (entry: ReadEntry) => {
      found = true;
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
    },
  });
  if (!found) throw new Error(`${file} has no ${MANIFEST_NAME}`);
  return Buffer.concat(chunks).toString("utf8");
}

function normalise(entryPath: string): string {
  return entryPath.replace(/^\.\//, "");
}
