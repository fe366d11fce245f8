/**
 * The embedded store: `DATA_DIR/toolforge.db` (everything but checkpoints) and
 * `DATA_DIR/checkpoints.db` (LangGraph's SqliteSaver, opened on first use). Both files are in WAL
 * mode with a busy timeout, so several processes can share one data directory.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { StoreUnavailableError } from "../../errors.js";
import type { OpenStoreOptions } from "../options.js";
import { leaseMsOf } from "../ownership.js";
import { writeManifest } from "../snapshot-manifest.js";
import type {
  ForgeAttempt,
  ForgeRun,
  JsonObject,
  JsonValue,
  LibraryHit,
  LibrarySearchOptions,
  MessagePatch,
  MessageRecord,
  MethodVersion,
  NewMethodVersion,
  NewObject,
  NewToolVersion,
  ObjectRecord,
  RecoveredWork,
  ResolvedMethod,
  Store,
  StoredEvent,
  ToolSummary,
  ToolVersion,
} from "../types.js";
import { CHECKPOINT_FILE, DATABASE_FILE, markClosed, markOpen, storeFiles } from "./files.js";
import { ensureLibraryIndex, SqliteLibrarySearch } from "./library.js";
import { migrate } from "./migrations.js";
import { SqliteObjects } from "./objects.js";
import { SqliteOwner } from "./owners.js";
import { openDatabase } from "./open-database.js";
import { SqliteRecords } from "./records.js";
import { readRegistryRevision } from "./registry.js";
import { finishInterruptedRestore } from "./restore.js";
import { SqliteTools } from "./tools.js";

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly location: string;
  /** Migration versions applied by this open (empty when the file was already current). */
  readonly appliedMigrations: number[];

  private readonly tools: SqliteTools;
  private readonly objects: SqliteObjects;
  private readonly records: SqliteRecords;
  private readonly library: SqliteLibrarySearch;
  private readonly owner: SqliteOwner;
  private saver: SqliteSaver | null = null;
  private closed = false;

  private constructor(
    private readonly dataDir: string,
    private readonly db: Database.Database,
    options: OpenStoreOptions,
  ) {
    this.location = storeFiles(dataDir).database;
    this.appliedMigrations = migrate(db, this.location);
    ensureLibraryIndex(db);
    this.owner = new SqliteOwner(db, leaseMsOf(options));
    this.tools = new SqliteTools(db, options.beforeCommit);
    this.objects = new SqliteObjects(db, options.beforeCommit);
    this.records = new SqliteRecords(db, this.owner.id);
    this.library = new SqliteLibrarySearch(db);
  }

  get ownerId(): string {
    return this.owner.id;
  }

  static open(dataDir: string, options: OpenStoreOptions = {}): SqliteStore {
    finishInterruptedRestore(dataDir);
    const db = openDatabase(storeFiles(dataDir).database);
    try {
      const store = new SqliteStore(dataDir, db, options);
      markOpen(dataDir);
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async registryRevision(): Promise<number> {
    return readRegistryRevision(this.live());
  }

  async installToolVersion(input: NewToolVersion): Promise<ToolVersion> {
    this.live();
    return this.tools.install(input);
  }
  async rollbackTool(name: string, version?: number): Promise<ToolVersion> {
    this.live();
    return this.tools.rollback(name, version);
  }
  async getTool(name: string): Promise<ToolSummary | null> {
    this.live();
    return this.tools.get(name);
  }
  async listTools(): Promise<ToolSummary[]> {
    this.live();
    return this.tools.list();
  }
  async activeToolVersions(): Promise<ToolVersion[]> {
    this.live();
    return this.tools.activeVersions();
  }
  async listToolVersions(name: string): Promise<ToolVersion[]> {
    this.live();
    return this.tools.listVersions(name);
  }
  async getToolVersion(name: string, version: number): Promise<ToolVersion | null> {
    this.live();
    return this.tools.version(name, version);
  }

  async countTools(): Promise<number> {
    this.live();
    return this.tools.count();
  }
  async searchLibrary(query: string, options?: LibrarySearchOptions): Promise<LibraryHit[]> {
    this.live();
    return this.library.search(query, options);
  }

  async createObject(input: NewObject): Promise<ObjectRecord> {
    this.live();
    return this.objects.create(input);
  }
  async ensureObject(input: NewObject): Promise<ObjectRecord> {
    this.live();
    return this.objects.ensure(input);
  }
  async getObject(id: string): Promise<ObjectRecord | null> {
    this.live();
    return this.objects.get(id);
  }
  async listObjects(): Promise<ObjectRecord[]> {
    this.live();
    return this.objects.list();
  }
  async updateAttributes(id: string, expectedRevision: number, attributes: JsonObject): Promise<ObjectRecord> {
    this.live();
    return this.objects.updateAttributes(id, expectedRevision, attributes);
  }
  async setPrototypes(id: string, prototypes: string[]): Promise<ObjectRecord> {
    this.live();
    return this.objects.setPrototypes(id, prototypes);
  }
  async installMethodVersion(input: NewMethodVersion): Promise<MethodVersion> {
    this.live();
    return this.objects.installMethod(input);
  }
  async rollbackMethod(objectId: string, selector: string, version?: number): Promise<MethodVersion> {
    this.live();
    return this.objects.rollbackMethod(objectId, selector, version);
  }
  async lookupMethod(objectId: string, selector: string, options: { maxDepth?: number } = {}): Promise<ResolvedMethod | null> {
    this.live();
    return this.objects.lookup(objectId, selector, options.maxDepth);
  }
  async listMethods(objectId: string): Promise<MethodVersion[]> {
    this.live();
    return this.objects.listMethods(objectId);
  }
  async listMethodVersions(objectId: string, selector: string): Promise<MethodVersion[]> {
    this.live();
    return this.objects.listMethodVersions(objectId, selector);
  }

  async createForgeRun(input: { kind: ForgeRun["kind"]; spec: string; target: string | null }): Promise<ForgeRun> {
    this.live();
    return this.records.createForgeRun(input);
  }
  async addForgeAttempt(runId: string, attempt: ForgeAttempt): Promise<void> {
    this.live();
    this.records.addForgeAttempt(runId, attempt);
  }
  async finishForgeRun(
    runId: string,
    outcome: { status: Exclude<ForgeRun["status"], "running">; result?: ForgeRun["result"]; error?: string | null },
  ): Promise<ForgeRun> {
    this.live();
    return this.records.finishForgeRun(runId, outcome);
  }
  async getForgeRun(id: string): Promise<ForgeRun | null> {
    this.live();
    return this.records.getForgeRun(id);
  }
  async listForgeRuns(options?: { status?: ForgeRun["status"]; limit?: number }): Promise<ForgeRun[]> {
    this.live();
    return this.records.listForgeRuns(options);
  }

  async createMessage(input: { targetId: string; selector: string; args: JsonValue[]; kwargs: JsonObject }): Promise<MessageRecord> {
    this.live();
    return this.records.createMessage(input);
  }
  async updateMessage(id: string, patch: MessagePatch): Promise<MessageRecord> {
    this.live();
    return this.records.updateMessage(id, patch);
  }
  async getMessage(id: string): Promise<MessageRecord | null> {
    this.live();
    return this.records.getMessage(id);
  }

  async recoverInterruptedWork(): Promise<RecoveredWork> {
    this.live();
    return this.owner.recover();
  }

  async appendEvent(type: string, payload: JsonObject): Promise<StoredEvent> {
    this.live();
    return this.records.appendEvent(type, payload);
  }
  async listEvents(options?: { afterSeq?: number; limit?: number }): Promise<StoredEvent[]> {
    this.live();
    return this.records.listEvents(options);
  }

  checkpointer(): SqliteSaver {
    this.live();
    this.saver ??= new SqliteSaver(openDatabase(storeFiles(this.dataDir).checkpoints));
    return this.saver;
  }

  async exportSnapshot(dir: string): Promise<string[]> {
    const db = this.live();
    mkdirSync(dir, { recursive: true });
    await db.backup(path.join(dir, DATABASE_FILE));
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.saver?.db.close();
    this.saver = null;
    try {
      this.owner.release();
    } finally {
      this.db.close();
    }
    markClosed(this.dataDir);
  }

  private live(): Database.Database {
    if (this.closed) {
      throw new StoreUnavailableError(`the store at ${this.location} is closed`, "open a new store with openStore(config)");
    }
    return this.db;
  }
}
