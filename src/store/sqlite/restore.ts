/**
 * Replaces the SQLite store's files with a snapshot written by `exportSnapshot`, never leaving a
 * half-restored store:
 *   1. every snapshot file is copied beside the live one as `<name>.restoring`, opened, and must
 *      pass `PRAGMA integrity_check` (and carry a schema this version knows) — the live files are
 *      untouched until all of them pass;
 *   2. the store must not be open anywhere: in this process (tracked) or in another one (an
 *      EXCLUSIVE lock on a WAL database is refused while any other connection has it open);
 *   3. a journal listing the swaps is written atomically, then each live file's -wal/-shm are
 *      removed (a stale WAL must never be replayed into the restored file) and the staged file is
 *      renamed over it; then the journal is removed.
 * A crash during step 3 leaves the journal behind; the next open (or restore) rolls it forward, so
 * the store is either the old one or the restored one, never a mix.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { StoreUnavailableError, errorMessage } from "../../errors.js";
import { readManifest } from "../snapshot-manifest.js";
import { CHECKPOINT_FILE, DATABASE_FILE, isOpenHere, storeFiles } from "./files.js";
import { MIGRATIONS } from "./migrations.js";
import { sqliteCode } from "./open-database.js";

const STAGED_SUFFIX = ".restoring";

/** One step of the swap: put `staged` in place of `live`, or (staged null) remove `live`. */
interface Swap {
  live: string;
  staged: string | null;
}

export function restoreSqliteSnapshot(dataDir: string, snapshotDir: string): void {
  if (isOpenHere(dataDir)) {
    throw new StoreUnavailableError(
      `cannot restore into ${dataDir}: a store on it is open in this process`,
      "close every store on this data directory (store.close()) before restoring",
    );
  }
  finishInterruptedRestore(dataDir);
  const manifest = readManifest(snapshotDir, "sqlite");
  if (!manifest.files.includes(DATABASE_FILE)) {
    throw new StoreUnavailableError(`snapshot ${snapshotDir} has no ${DATABASE_FILE}`, "use a snapshot written by exportSnapshot");
  }
  mkdirSync(dataDir, { recursive: true }); // restoring onto a fresh machine is fine
  const files = storeFiles(dataDir);
  const swaps: Swap[] = [];
  try {
    for (const [name, live] of [
      [DATABASE_FILE, files.database],
      [CHECKPOINT_FILE, files.checkpoints],
    ] as const) {
      if (manifest.files.includes(name)) {
        const staged = live + STAGED_SUFFIX;
        swaps.push({ live, staged });
        stage(path.join(snapshotDir, name), staged, name === DATABASE_FILE);
      } else {
        swaps.push({ live, staged: null });
      }
    }
    for (const swap of swaps) assertNotInUse(swap.live);
  } catch (error) {
    for (const swap of swaps) if (swap.staged) removeWithSidecars(swap.staged);
    throw error;
  }
  writeJournal(files.journal, swaps);
  applySwaps(swaps);
  rmSync(files.journal);
  fsyncDirectory(dataDir);
}

/** Rolls a restore interrupted during its swap forward; does nothing when no journal is there. */
export function finishInterruptedRestore(dataDir: string): void {
  const { journal } = storeFiles(dataDir);
  if (!existsSync(journal)) return;
  let swaps: Swap[];
  try {
    swaps = JSON.parse(readFileSync(journal, "utf8")) as Swap[];
  } catch (error) {
    throw new StoreUnavailableError(
      `${journal} (left by an interrupted restore) cannot be read`,
      `run the restore again, or remove ${journal} and check the files in ${dataDir}`,
      error,
    );
  }
  applySwaps(swaps.filter((swap) => swap.staged === null || existsSync(swap.staged)));
  rmSync(journal);
  fsyncDirectory(dataDir);
}

function stage(source: string, staged: string, isStoreDatabase: boolean): void {
  removeWithSidecars(staged);
  copyFileSync(source, staged);
  let db: Database.Database;
  try {
    db = new Database(staged, { fileMustExist: true });
  } catch (error) {
    throw unusableSnapshot(source, error);
  }
  try {
    const result = db.pragma("integrity_check") as { integrity_check: string }[];
    const verdict = result.map((r) => r.integrity_check).join("; ");
    if (verdict !== "ok") throw unusableSnapshot(source, new Error(`integrity_check: ${verdict}`));
    if (isStoreDatabase) checkSchemaVersion(db, source);
  } catch (error) {
    throw error instanceof StoreUnavailableError ? error : unusableSnapshot(source, error);
  } finally {
    db.close();
  }
  fsyncFile(staged);
}

function checkSchemaVersion(db: Database.Database, source: string): void {
  const row = db.prepare("SELECT MAX(version) AS newest FROM schema_migrations").get() as { newest: number | null };
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  if ((row.newest ?? 0) > known) {
    throw new StoreUnavailableError(
      `snapshot ${source} has schema version ${row.newest}, newer than this ToolForge knows (${known})`,
      "restore it with the ToolForge version that wrote it",
    );
  }
}

/** Refuses when another connection has `file` open: SQLite denies the EXCLUSIVE lock of a WAL database then. */
function assertNotInUse(file: string): void {
  if (!existsSync(file)) return;
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0, fileMustExist: true });
  } catch {
    return; // unopenable (e.g. the corrupt file being replaced): nobody can be using it
  }
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("ROLLBACK");
  } catch (error) {
    const code = sqliteCode(error);
    if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
      throw new StoreUnavailableError(
        `cannot restore: ${file} is open in another process`,
        "stop every ToolForge process using this data directory (server, CLI, Studio) and run the restore again",
        error,
      );
    }
    if (code !== "SQLITE_NOTADB" && code !== "SQLITE_CORRUPT") throw error;
  } finally {
    db.close();
  }
}

function applySwaps(swaps: Swap[]): void {
  for (const swap of swaps) {
    rmSync(`${swap.live}-wal`, { force: true });
    rmSync(`${swap.live}-shm`, { force: true });
    if (swap.staged) renameSync(swap.staged, swap.live);
    else rmSync(swap.live, { force: true });
  }
}

function writeJournal(journal: string, swaps: Swap[]): void {
  const temporary = `${journal}.tmp`;
  writeFileSync(temporary, JSON.stringify(swaps));
  fsyncFile(temporary);
  renameSync(temporary, journal);
  fsyncDirectory(path.dirname(journal));
}

function removeWithSidecars(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
}

function unusableSnapshot(source: string, cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `snapshot file ${source} is not a sound SQLite database (${errorMessage(cause)}); the live store was left untouched`,
    "restore another archive",
    cause,
  );
}

function fsyncFile(file: string): void {
  fsyncPath(file, "r+");
}

function fsyncDirectory(dir: string): void {
  fsyncPath(dir, "r");
}

function fsyncPath(target: string, flags: "r" | "r+"): void {
  const fd = openSync(target, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
