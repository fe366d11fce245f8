/** Where the SQLite store keeps its files, and which processes of this one have them open. */
import path from "node:path";

export const DATABASE_FILE = "toolforge.db";
export const CHECKPOINT_FILE = "checkpoints.db";
/** Present only while a restore is between its first and last rename (see restore.ts). */
const RESTORE_JOURNAL = "restore-journal.json";

export function storeFiles(dataDir: string) {
  return {
    database: path.join(dataDir, DATABASE_FILE),
    checkpoints: path.join(dataDir, CHECKPOINT_FILE),
    journal: path.join(dataDir, RESTORE_JOURNAL),
  };
}

/** Data directories with an open SqliteStore in this process (restore refuses to run under them). */
const openDirs = new Map<string, number>();

export function markOpen(dataDir: string): void {
  const key = path.resolve(dataDir);
  openDirs.set(key, (openDirs.get(key) ?? 0) + 1);
}

export function markClosed(dataDir: string): void {
  const key = path.resolve(dataDir);
  const count = (openDirs.get(key) ?? 1) - 1;
  if (count <= 0) openDirs.delete(key);
  else openDirs.set(key, count);
}

export function isOpenHere(dataDir: string): boolean {
  return openDirs.has(path.resolve(dataDir));
}
