/**
 * The embedded store: `DATA_DIR/toolforge.db` (everything but checkpoints) and
 * `DATA_DIR/checkpoints.db` (LangGraph's SqliteSaver, opened on first use). Both files are in WAL
 * mode with a busy timeout, so several processes can share one data directory. The Store's
 * methods are ComposedStore's over the parts below; this file opens, snapshots and closes.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { ComposedStore } from "../composed-store.js";
import { diagnosticsOf, type OpenStoreOptions } from "../options.js";
import { leaseMsOf } from "../ownership.js";
import { writeManifest } from "../snapshot-manifest.js";
import { CHECKPOINT_FILE, DATABASE_FILE, markClosed, markOpen, storeFiles } from "./files.js";
import { ensureLibraryIndex, SqliteLibrarySearch } from "./library.js";
import { migrate } from "./migrations.js";
import { SqliteGrants } from "./grants.js";
import { SqliteObjects } from "./objects.js";
import { SqliteOwner } from "./owners.js";
import { openDatabase } from "./open-database.js";
import { SqliteRecords } from "./records.js";
import { readRegistryRevision } from "./registry.js";
import { finishInterruptedRestore } from "./restore.js";
import { SqliteTools } from "./tools.js";

export class SqliteStore extends ComposedStore<SqliteSaver> {
  readonly kind = "sqlite" as const;
  readonly location: string;

  private constructor(
    private readonly dataDir: string,
    private readonly db: Database.Database,
    /** Migration versions applied by this open (empty when the file was already current). */
    readonly appliedMigrations: number[],
    owner: SqliteOwner,
    options: OpenStoreOptions,
  ) {
    super(
      {
        tools: new SqliteTools(db, options.beforeCommit),
        grants: new SqliteGrants(db),
        library: new SqliteLibrarySearch(db),
        objects: new SqliteObjects(db, options.beforeCommit),
        records: new SqliteRecords(db, owner.id),
        owner,
      },
      diagnosticsOf(options),
    );
    this.location = storeFiles(dataDir).database;
  }

  static open(dataDir: string, options: OpenStoreOptions = {}): SqliteStore {
    finishInterruptedRestore(dataDir);
    const location = storeFiles(dataDir).database;
    const db = openDatabase(location);
    try {
      const applied = migrate(db, location);
      ensureLibraryIndex(db);
      const store = new SqliteStore(dataDir, db, applied, new SqliteOwner(db, leaseMsOf(options), diagnosticsOf(options)), options);
      markOpen(dataDir);
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  protected readRevision(): number {
    return readRegistryRevision(this.db);
  }

  protected readThreads(limit: number): string[] {
    const db = this.checkpointer().db;
    // SqliteSaver creates its tables on first use: no table yet, no conversation yet.
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'").get()) return [];
    const rows = db
      .prepare(`SELECT thread_id FROM checkpoints WHERE checkpoint_ns = '' GROUP BY thread_id ORDER BY MAX(checkpoint_id) DESC LIMIT ?`)
      .all(limit) as { thread_id: string }[];
    return rows.map((row) => row.thread_id);
  }

  protected openCheckpointer(): SqliteSaver {
    return new SqliteSaver(openDatabase(storeFiles(this.dataDir).checkpoints));
  }

  protected async writeSnapshot(dir: string): Promise<string[]> {
    mkdirSync(dir, { recursive: true });
    await this.db.backup(path.join(dir, DATABASE_FILE));
    const files = [DATABASE_FILE];
    const checkpointsFile = storeFiles(this.dataDir).checkpoints;
    if (this.saver || existsSync(checkpointsFile)) {
      const checkpoints = this.saver?.db ?? openDatabase(checkpointsFile);
      try {
        await checkpoints.backup(path.join(dir, CHECKPOINT_FILE));
      } finally {
        if (!this.saver) checkpoints.close();
      }
      files.push(CHECKPOINT_FILE);
    }
    return writeManifest(dir, "sqlite", files);
  }

  protected disconnect(saver: SqliteSaver | null): void {
    try {
      saver?.db.close();
    } finally {
      this.db.close();
      markClosed(this.dataDir);
    }
  }
}
