/**
 * The ArangoDB store (ARANGO_URL set): documents in UvmObjects, Tools, ToolVersions, Methods,
 * MethodVersions, ForgeRuns, ForgeAttempts, Messages, Events and Meta; prototype links as edges in
 * PrototypeLinks; LangGraph checkpoints through ArangoSaver. The Store's methods are
 * ComposedStore's over the parts below; failures that make the store unusable (server
 * unreachable, credentials refused) surface from every one of them as StoreUnavailableError
 * naming the fix.
 */
import type { Database } from "arangojs";
import { ComposedStore } from "../composed-store.js";
import { diagnosticsOf, type OpenStoreOptions } from "../options.js";
import { leaseMsOf } from "../ownership.js";
import type { Awaitable } from "../parts.js";
import { ArangoSaver } from "./checkpointer.js";
import { COUNTERS } from "./collections.js";
import { connectDatabase } from "./connect.js";
import { rethrowArangoFailure, type ArangoSettings } from "./errors.js";
import { ArangoLibrarySearch, ensureLibraryIndex } from "./library.js";
import { ArangoGrants } from "./grants.js";
import { ArangoObjects } from "./objects.js";
import { ArangoOwner } from "./owners.js";
import { ArangoRecords } from "./records.js";
import { migrateArango } from "./schema.js";
import { exportArangoSnapshot } from "./snapshot.js";
import { ArangoTools } from "./tools.js";
import { readCounter } from "./transaction.js";

export class ArangoStore extends ComposedStore<ArangoSaver> {
  readonly kind = "arango" as const;
  readonly location: string;

  private constructor(
    private readonly settings: ArangoSettings,
    private readonly db: Database,
    /** Migration versions applied by this open (empty when the database was already current). */
    readonly appliedMigrations: number[],
    owner: ArangoOwner,
    options: OpenStoreOptions,
  ) {
    super(
      {
        tools: new ArangoTools(db, options.beforeCommit),
        grants: new ArangoGrants(db),
        library: new ArangoLibrarySearch(db),
        objects: new ArangoObjects(db, options.beforeCommit),
        records: new ArangoRecords(db, owner.id),
        owner,
      },
      diagnosticsOf(options),
    );
    this.location = locationOf(settings);
  }

  static async open(settings: ArangoSettings, options: OpenStoreOptions = {}): Promise<ArangoStore> {
    const db = await connectDatabase(settings);
    try {
      const applied = await migrateArango(db, locationOf(settings));
      await ensureLibraryIndex(db);
      const owner = new ArangoOwner(db, leaseMsOf(options), diagnosticsOf(options));
      await owner.start();
      return new ArangoStore(settings, db, applied, owner, options);
    } catch (error) {
      db.close();
      rethrowArangoFailure(error, settings);
    }
  }

  /** Turns "server gone" and "credentials refused" into StoreUnavailableError. */
  protected override async run<T>(operation: () => Awaitable<T>): Promise<T> {
    this.assertOpen();
    try {
      return await operation();
    } catch (error) {
      rethrowArangoFailure(error, this.settings);
    }
  }

  protected readRevision(): Promise<number> {
    return readCounter(this.db, COUNTERS.registry);
  }

  protected readThreads(limit: number): Promise<string[]> {
    return this.checkpointer().threadIds(limit);
  }

  protected openCheckpointer(): ArangoSaver {
    return new ArangoSaver(this.db);
  }

  protected writeSnapshot(dir: string): Promise<string[]> {
    return exportArangoSnapshot(this.db, dir);
  }

  /** The checkpointer shares this store's connection: closing it closes both. */
  protected disconnect(): void {
    this.db.close();
  }
}

function locationOf(settings: ArangoSettings): string {
  return `${settings.url} database ${settings.database}`;
}
