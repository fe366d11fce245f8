/**
 * The Store interface written once over an adapter's parts (parts.ts): each method refuses a
 * closed store and hands the call to its part through `run`, where an adapter may turn its own
 * failures into the store's errors (ArangoDB: server gone, credentials refused). Closing removes
 * the owner's lease (a failure there is a diagnostic: the lease runs out by itself) and then the
 * adapter's connections. What differs stays in the adapters: opening, the transactions inside the
 * parts (SQLite's are synchronous, ArangoDB's are stream transactions), the registry revision, the
 * checkpointer and the snapshot.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type { Diagnostics } from "../diagnostics.js";
import { StoreUnavailableError, errorMessage } from "../errors.js";
import { DEFAULT_THREAD_LIMIT } from "./ids.js";
import type { Awaitable, StoreParts } from "./parts.js";
import type {
  EventQuery,
  ForgeAttempt,
  ForgeRunOutcome,
  ForgeRunQuery,
  JsonObject,
  MessagePatch,
  NewForgeRun,
  NewMessage,
  NewMethodVersion,
  NewObject,
  NewToolVersion,
  Store,
} from "./types.js";
import type { NewToolGrant } from "./grant-types.js";
import type { LibrarySearchOptions } from "./library-types.js";

export abstract class ComposedStore<Saver extends BaseCheckpointSaver> implements Store {
  abstract readonly kind: Store["kind"];
  abstract readonly location: string;
  abstract readonly appliedMigrations: readonly number[];

  /** The checkpointer, once asked for (`openCheckpointer`). */
  protected saver: Saver | null = null;
  private closed = false;

  protected constructor(
    private readonly parts: StoreParts,
    protected readonly diagnostics: Diagnostics,
  ) {}

  get ownerId(): string {
    return this.parts.owner.id;
  }

  registryRevision() {
    return this.run(() => this.readRevision());
  }

  listThreads(options: { limit?: number } = {}) {
    return this.run(() => this.readThreads(options.limit ?? DEFAULT_THREAD_LIMIT));
  }

  installToolVersion(input: NewToolVersion) {
    return this.run(() => this.parts.tools.install(input));
  }
  rollbackTool(name: string, version?: number) {
    return this.run(() => this.parts.tools.rollback(name, version));
  }
  getTool(name: string) {
    return this.run(() => this.parts.tools.get(name));
  }
  listTools() {
    return this.run(() => this.parts.tools.list());
  }
  activeToolVersions() {
    return this.run(() => this.parts.tools.activeVersions());
  }
  listToolVersions(name: string) {
    return this.run(() => this.parts.tools.listVersions(name));
  }
  getToolVersion(name: string, version: number) {
    return this.run(() => this.parts.tools.version(name, version));
  }
  listDependents(name: string) {
    return this.run(() => this.parts.tools.dependents(name));
  }
  countTools() {
    return this.run(() => this.parts.tools.count());
  }
  recordGrant(input: NewToolGrant) {
    return this.run(() => this.parts.grants.record(input));
  }
  revokeGrants(toolName: string, host: string) {
    return this.run(() => this.parts.grants.revoke(toolName, host));
  }
  listGrants(toolName: string) {
    return this.run(() => this.parts.grants.list(toolName));
  }
  grantCredential(grantId: string) {
    return this.run(() => this.parts.grants.credential(grantId));
  }
  searchLibrary(query: string, options?: LibrarySearchOptions) {
    return this.run(() => this.parts.library.search(query, options));
  }

  createObject(input: NewObject) {
    return this.run(() => this.parts.objects.create(input));
  }
  ensureObject(input: NewObject) {
    return this.run(() => this.parts.objects.ensure(input));
  }
  getObject(id: string) {
    return this.run(() => this.parts.objects.get(id));
  }
  listObjects() {
    return this.run(() => this.parts.objects.list());
  }
  updateAttributes(id: string, expectedRevision: number, attributes: JsonObject) {
    return this.run(() => this.parts.objects.updateAttributes(id, expectedRevision, attributes));
  }
  setPrototypes(id: string, prototypes: string[]) {
    return this.run(() => this.parts.objects.setPrototypes(id, prototypes));
  }
  installMethodVersion(input: NewMethodVersion) {
    return this.run(() => this.parts.objects.installMethod(input));
  }
  rollbackMethod(objectId: string, selector: string, version?: number) {
    return this.run(() => this.parts.objects.rollbackMethod(objectId, selector, version));
  }
  lookupMethod(objectId: string, selector: string, options: { maxDepth?: number } = {}) {
    return this.run(() => this.parts.objects.lookup(objectId, selector, options.maxDepth));
  }
  listMethods(objectId: string) {
    return this.run(() => this.parts.objects.listMethods(objectId));
  }
  listMethodVersions(objectId: string, selector: string) {
    return this.run(() => this.parts.objects.listMethodVersions(objectId, selector));
  }

  createForgeRun(input: NewForgeRun) {
    return this.run(() => this.parts.records.createForgeRun(input));
  }
  addForgeAttempt(runId: string, attempt: ForgeAttempt) {
    return this.run(() => this.parts.records.addForgeAttempt(runId, attempt));
  }
  finishForgeRun(runId: string, outcome: ForgeRunOutcome) {
    return this.run(() => this.parts.records.finishForgeRun(runId, outcome));
  }
  getForgeRun(id: string) {
    return this.run(() => this.parts.records.getForgeRun(id));
  }
  listForgeRuns(options?: ForgeRunQuery) {
    return this.run(() => this.parts.records.listForgeRuns(options));
  }
  createMessage(input: NewMessage) {
    return this.run(() => this.parts.records.createMessage(input));
  }
  updateMessage(id: string, patch: MessagePatch) {
    return this.run(() => this.parts.records.updateMessage(id, patch));
  }
  getMessage(id: string) {
    return this.run(() => this.parts.records.getMessage(id));
  }
  appendEvent(type: string, payload: JsonObject) {
    return this.run(() => this.parts.records.appendEvent(type, payload));
  }
  listEvents(options?: EventQuery) {
    return this.run(() => this.parts.records.listEvents(options));
  }

  recoverInterruptedWork() {
    return this.run(() => this.parts.owner.recover());
  }

  checkpointer(): Saver {
    this.assertOpen();
    this.saver ??= this.openCheckpointer();
    return this.saver;
  }

  exportSnapshot(dir: string) {
    return this.run(() => this.writeSnapshot(dir));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const saver = this.saver;
    this.saver = null;
    try {
      await this.parts.owner.release();
    } catch (error) {
      // The lease then runs out by itself; the work this owner still held is recovered after that.
      this.diagnostics.warn("store", `could not remove this process's lease from ${this.location}: ${errorMessage(error)}`, {
        ownerId: this.ownerId,
      });
    } finally {
      await this.disconnect(saver);
    }
  }

  /** Runs one operation of the open store; an adapter may override it to translate its failures. */
  protected async run<T>(operation: () => Awaitable<T>): Promise<T> {
    this.assertOpen();
    return operation();
  }

  protected assertOpen(): void {
    if (this.closed) {
      throw new StoreUnavailableError(`the store at ${this.location} is closed`, "open a new store with openStore(config)");
    }
  }

  /** The registry revision as stored now (see Store.registryRevision). */
  protected abstract readRevision(): Awaitable<number>;
  /** The ids of the threads in the checkpoints, the one written last first. */
  protected abstract readThreads(limit: number): Awaitable<string[]>;
  /** The LangGraph checkpointer on this store's data; called once, on first use. */
  protected abstract openCheckpointer(): Saver;
  /** See Store.exportSnapshot. */
  protected abstract writeSnapshot(dir: string): Promise<string[]>;
  /** Closes the adapter's connections, the checkpointer's (when it was opened) included. */
  protected abstract disconnect(saver: Saver | null): Awaitable<void>;
}
