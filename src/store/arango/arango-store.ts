/**
 * The ArangoDB store (ARANGO_URL set): documents in UvmObjects, Tools, ToolVersions, Methods,
 * MethodVersions, ForgeRuns, ForgeAttempts, Messages, Events and Meta; prototype links as edges in
 * PrototypeLinks; LangGraph checkpoints through ArangoSaver. Failures that make the store unusable
 * (server unreachable, credentials refused) surface as StoreUnavailableError naming the fix.
 */
import type { Database } from "arangojs";
import { StoreUnavailableError, errorMessage } from "../../errors.js";
import type { OpenStoreOptions } from "../options.js";
import { leaseMsOf } from "../ownership.js";
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
import { ArangoSaver } from "./checkpointer.js";
import { COUNTERS } from "./collections.js";
import { connectDatabase } from "./connect.js";
import { rethrowArangoFailure, type ArangoSettings } from "./errors.js";
import { ArangoLibrarySearch, ensureLibraryIndex } from "./library.js";
import { ArangoObjects } from "./objects.js";
import { ArangoOwner } from "./owners.js";
import { ArangoRecords } from "./records.js";
import { migrateArango } from "./schema.js";
import { exportArangoSnapshot } from "./snapshot.js";
import { ArangoTools } from "./tools.js";
import { readCounter } from "./transaction.js";

export class ArangoStore implements Store {
  readonly kind = "arango" as const;
  readonly location: string;

  private readonly tools: ArangoTools;
  private readonly objects: ArangoObjects;
  private readonly records: ArangoRecords;
  private readonly library: ArangoLibrarySearch;
  private saver: ArangoSaver | null = null;
  private closed = false;

  private constructor(
    private readonly settings: ArangoSettings,
    private readonly db: Database,
    /** Migration versions applied by this open (empty when the database was already current). */
    readonly appliedMigrations: number[],
    private readonly owner: ArangoOwner,
    options: OpenStoreOptions,
  ) {
    this.location = `${settings.url} database ${settings.database}`;
    this.tools = new ArangoTools(db, options.beforeCommit);
    this.objects = new ArangoObjects(db, options.beforeCommit);
    this.records = new ArangoRecords(db, owner.id);
    this.library = new ArangoLibrarySearch(db);
  }

  static async open(settings: ArangoSettings, options: OpenStoreOptions = {}): Promise<ArangoStore> {
    const db = await connectDatabase(settings);
    try {
      const applied = await migrateArango(db, `${settings.url} database ${settings.database}`);
      await ensureLibraryIndex(db);
      const owner = new ArangoOwner(db, leaseMsOf(options));
      await owner.start();
      return new ArangoStore(settings, db, applied, owner, options);
    } catch (error) {
      db.close();
      rethrowArangoFailure(error, settings);
    }
  }

  get ownerId(): string {
    return this.owner.id;
  }

  registryRevision(): Promise<number> {
    return this.guard(() => readCounter(this.db, COUNTERS.registry));
  }

  installToolVersion(input: NewToolVersion): Promise<ToolVersion> {
    return this.guard(() => this.tools.install(input));
  }
  rollbackTool(name: string, version?: number): Promise<ToolVersion> {
    return this.guard(() => this.tools.rollback(name, version));
  }
  getTool(name: string): Promise<ToolSummary | null> {
    return this.guard(() => this.tools.get(name));
  }
  listTools(): Promise<ToolSummary[]> {
    return this.guard(() => this.tools.list());
  }
  activeToolVersions(): Promise<ToolVersion[]> {
    return this.guard(() => this.tools.activeVersions());
  }
  listToolVersions(name: string): Promise<ToolVersion[]> {
    return this.guard(() => this.tools.listVersions(name));
  }
  getToolVersion(name: string, version: number): Promise<ToolVersion | null> {
    return this.guard(() => this.tools.version(name, version));
  }

  countTools(): Promise<number> {
    return this.guard(() => this.tools.count());
  }
  searchLibrary(query: string, options?: LibrarySearchOptions): Promise<LibraryHit[]> {
    return this.guard(() => this.library.search(query, options));
  }

  createObject(input: NewObject): Promise<ObjectRecord> {
    return this.guard(() => this.objects.create(input));
  }
  ensureObject(input: NewObject): Promise<ObjectRecord> {
    return this.guard(() => this.objects.ensure(input));
  }
  getObject(id: string): Promise<ObjectRecord | null> {
    return this.guard(() => this.objects.get(id));
  }
  listObjects(): Promise<ObjectRecord[]> {
    return this.guard(() => this.objects.list());
  }
  updateAttributes(id: string, expectedRevision: number, attributes: JsonObject): Promise<ObjectRecord> {
    return this.guard(() => this.objects.updateAttributes(id, expectedRevision, attributes));
  }
  setPrototypes(id: string, prototypes: string[]): Promise<ObjectRecord> {
    return this.guard(() => this.objects.setPrototypes(id, prototypes));
  }
  installMethodVersion(input: NewMethodVersion): Promise<MethodVersion> {
    return this.guard(() => this.objects.installMethod(input));
  }
  rollbackMethod(objectId: string, selector: string, version?: number): Promise<MethodVersion> {
    return this.guard(() => this.objects.rollbackMethod(objectId, selector, version));
  }
  lookupMethod(objectId: string, selector: string, options: { maxDepth?: number } = {}): Promise<ResolvedMethod | null> {
    return this.guard(() => this.objects.lookup(objectId, selector, options.maxDepth));
  }
  listMethods(objectId: string): Promise<MethodVersion[]> {
    return this.guard(() => this.objects.listMethods(objectId));
  }
  listMethodVersions(objectId: string, selector: string): Promise<MethodVersion[]> {
    return this.guard(() => this.objects.listMethodVersions(objectId, selector));
  }

  createForgeRun(input: { kind: ForgeRun["kind"]; spec: string; target: string | null }): Promise<ForgeRun> {
    return this.guard(() => this.records.createForgeRun(input));
  }
  addForgeAttempt(runId: string, attempt: ForgeAttempt): Promise<void> {
    return this.guard(() => this.records.addForgeAttempt(runId, attempt));
  }
  finishForgeRun(
    runId: string,
    outcome: { status: Exclude<ForgeRun["status"], "running">; result?: ForgeRun["result"]; error?: string | null },
  ): Promise<ForgeRun> {
    return this.guard(() => this.records.finishForgeRun(runId, outcome));
  }
  getForgeRun(id: string): Promise<ForgeRun | null> {
    return this.guard(() => this.records.getForgeRun(id));
  }
  listForgeRuns(options?: { status?: ForgeRun["status"]; limit?: number }): Promise<ForgeRun[]> {
    return this.guard(() => this.records.listForgeRuns(options));
  }

  createMessage(input: { targetId: string; selector: string; args: JsonValue[]; kwargs: JsonObject }): Promise<MessageRecord> {
    return this.guard(() => this.records.createMessage(input));
  }
  updateMessage(id: string, patch: MessagePatch): Promise<MessageRecord> {
    return this.guard(() => this.records.updateMessage(id, patch));
  }
  getMessage(id: string): Promise<MessageRecord | null> {
    return this.guard(() => this.records.getMessage(id));
  }

  recoverInterruptedWork(): Promise<RecoveredWork> {
    return this.guard(() => this.owner.recover());
  }

  appendEvent(type: string, payload: JsonObject): Promise<StoredEvent> {
    return this.guard(() => this.records.appendEvent(type, payload));
  }
  listEvents(options?: { afterSeq?: number; limit?: number }): Promise<StoredEvent[]> {
    return this.guard(() => this.records.listEvents(options));
  }

  checkpointer(): ArangoSaver {
    this.assertOpen();
    this.saver ??= new ArangoSaver(this.db);
    return this.saver;
  }

  exportSnapshot(dir: string): Promise<string[]> {
    return this.guard(() => exportArangoSnapshot(this.db, dir));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.saver = null;
    try {
      await this.owner.release();
    } catch (error) {
      // The lease then runs out by itself; the work this owner still held is recovered after that.
      process.emitWarning(`could not remove this process's lease from ${this.location}: ${errorMessage(error)}`, "ToolForgeStore");
    } finally {
      this.db.close();
    }
  }

  /** Runs an operation, turning "server gone" and "credentials refused" into StoreUnavailableError. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await operation();
    } catch (error) {
      rethrowArangoFailure(error, this.settings);
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new StoreUnavailableError(`the store at ${this.location} is closed`, "open a new store with openStore(config)");
    }
  }
}
