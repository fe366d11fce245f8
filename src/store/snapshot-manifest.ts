/**
 * `store-snapshot.json`: written by every `exportSnapshot`, read by `restoreStoreSnapshot` to check
 * that a snapshot is complete and belongs to the kind of store being restored.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { InvalidInputError, errorMessage } from "../errors.js";

const MANIFEST_FILE = "store-snapshot.json";
const SNAPSHOT_FORMAT = 1;

interface SnapshotManifest {
  format: typeof SNAPSHOT_FORMAT;
  kind: "sqlite" | "arango";
  createdAt: string;
  /** Data files of the snapshot, relative to its directory (the manifest itself excluded). */
  files: string[];
}

/** Writes the manifest; returns every file of the snapshot, the manifest included. */
export function writeManifest(dir: string, kind: SnapshotManifest["kind"], files: string[]): string[] {
  const manifest: SnapshotManifest = { format: SNAPSHOT_FORMAT, kind, createdAt: new Date().toISOString(), files };
  writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  return [...files, MANIFEST_FILE];
}

export function readManifest(dir: string, expectedKind: SnapshotManifest["kind"]): SnapshotManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) {
    throw new InvalidInputError(
      `${dir} is not a store snapshot: ${MANIFEST_FILE} is missing`,
      "pass the directory written by exportSnapshot",
    );
  }
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8")) as SnapshotManifest;
  } catch (error) {
    throw new InvalidInputError(`${file} is not valid JSON: ${errorMessage(error)}`, "the snapshot is damaged; use another archive");
  }
  if (manifest.format !== SNAPSHOT_FORMAT || !Array.isArray(manifest.files)) {
    throw new InvalidInputError(
      `${file} has an unknown format ${JSON.stringify(manifest.format)}`,
      "restore it with the ToolForge version that wrote it",
    );
  }
  if (manifest.kind !== expectedKind) {
    throw new InvalidInputError(
      `${dir} is a snapshot of a ${manifest.kind} store, but the configured store is ${expectedKind}`,
      expectedKind === "sqlite" ? "set ARANGO_URL to restore it into ArangoDB" : "unset ARANGO_URL to restore it into the SQLite store",
    );
  }
  for (const name of manifest.files) {
    if (name.includes("/") || name.includes("\\") || name.startsWith(".")) {
      throw new InvalidInputError(
        `${file} names a file outside the snapshot: ${JSON.stringify(name)}`,
        "the snapshot is damaged; use another archive",
      );
    }
    if (!existsSync(path.join(dir, name))) {
      throw new InvalidInputError(`snapshot ${dir} is incomplete: ${name} is missing`, "use a complete snapshot");
    }
  }
  return manifest;
}
