/**
 * Opens one SQLite file of the store with the settings that let two processes share it (WAL,
 * busy timeout, foreign keys), and turns every way that can fail into a StoreUnavailableError that
 * names the file and the fix. Nothing here ever rewrites an existing file it cannot read.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { StoreUnavailableError, errorMessage } from "../../errors.js";

const BUSY_TIMEOUT_MS = 5000;

export function openDatabase(file: string): Database.Database {
  ensureWritable(file);
  const created = !existsSync(file);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw describeOpenFailure(file, error);
  }
  try {
    // A new store is its owner's alone: it will hold the credentials of grants (SQLite gives the
    // -wal and -shm files the database's mode, so they follow).
    if (created) chmodSync(file, 0o600);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Reading the header here is what detects a file that is not a database, before any write.
    db.pragma("schema_version");
    db.pragma("journal_mode = WAL");
    // FULL: a committed install survives a power cut too (NORMAL would only survive a crash).
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    return db;
  } catch (error) {
    db.close();
    throw describeOpenFailure(file, error);
  }
}

/** Creates the directory; refuses, naming the path and the fix, when the directory or file cannot be written. */
function ensureWritable(file: string): void {
  const dir = path.dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new StoreUnavailableError(
      `cannot create the data directory ${dir}: ${errorMessage(error)}`,
      `create it yourself and make it writable by this user (uid ${uid()}), or set DATA_DIR to a writable directory`,
      error,
    );
  }
  // SQLite needs to create the -wal and -shm files beside the database, so the directory must be writable too.
  for (const checked of existsSync(file) ? [dir, file] : [dir]) {
    try {
      accessSync(checked, constants.W_OK | constants.R_OK);
    } catch (error) {
      throw new StoreUnavailableError(
        `the store cannot write ${checked}: ${errorMessage(error)}`,
        `give this user (uid ${uid()}) read and write permission, e.g. \`chown -R ${uid()} ${dir}\` or \`chmod u+rw ${checked}\`, or set DATA_DIR to a writable directory`,
        error,
      );
    }
  }
}

function describeOpenFailure(file: string, error: unknown): StoreUnavailableError {
  const code = sqliteCode(error);
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new StoreUnavailableError(
      `${file} is not a readable SQLite database (${errorMessage(error)}); it was left untouched`,
      `restore the last archive (\`toolforge archive restore FILE\`), or move ${file} (and any ${path.basename(file)}-wal/-shm beside it) away to start with an empty store`,
      error,
    );
  }
  if (code === "SQLITE_READONLY" || code === "SQLITE_CANTOPEN" || code === "SQLITE_PERM" || code === "SQLITE_AUTH") {
    return new StoreUnavailableError(
      `cannot open ${file} for reading and writing (${errorMessage(error)})`,
      `give this user (uid ${uid()}) read and write permission on ${file} and on its directory (SQLite creates -wal and -shm files there), or set DATA_DIR to a writable directory`,
      error,
    );
  }
  if (code === "SQLITE_BUSY") {
    return new StoreUnavailableError(
      `${file} stayed locked by another process for more than ${BUSY_TIMEOUT_MS} ms`,
      "find the process holding it (e.g. `fuser FILE`) and let it finish, then try again",
      error,
    );
  }
  return new StoreUnavailableError(`cannot open ${file}: ${errorMessage(error)}`, "check the file and its directory", error);
}

export function sqliteCode(error: unknown): string | undefined {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") return error.code;
  return undefined;
}

function uid(): number | string {
  return typeof process.getuid === "function" ? process.getuid() : "current";
}
