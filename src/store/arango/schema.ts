/**
 * Versioned schema of the ArangoDB store: collections, indexes and counters. Every step is
 * idempotent (create-if-missing, ensureIndex, insert-or-ignore), so two processes migrating at
 * once both succeed; each applied version is recorded in SchemaMigrations.
 */
import type { Database } from "arangojs";
import { StoreUnavailableError } from "../../errors.js";
import { ALL_COLLECTIONS, COLLECTIONS, COUNTERS, EDGE_COLLECTIONS, type CollectionName, type ObjectDoc } from "./collections.js";
import { ARANGO_ERRORS, arangoErrorNum } from "./errors.js";
import { ensureLibrarySchema } from "./library.js";

interface ArangoMigration {
  version: number;
  name: string;
  apply: (db: Database) => Promise<void>;
}

type IndexSpec = { collection: CollectionName; fields: string[]; unique: boolean; name: string };

const INDEXES: IndexSpec[] = [
  { collection: COLLECTIONS.links, fields: ["_from", "_to"], unique: true, name: "link_pair" },
  { collection: COLLECTIONS.links, fields: ["_from", "order"], unique: true, name: "link_order" },
  { collection: COLLECTIONS.toolVersions, fields: ["toolName", "version"], unique: true, name: "tool_version" },
  { collection: COLLECTIONS.methods, fields: ["objectId", "selector"], unique: true, name: "method_selector" },
  { collection: COLLECTIONS.methods, fields: ["selector", "objectId"], unique: true, name: "method_by_selector" },
  { collection: COLLECTIONS.methodVersions, fields: ["objectId", "selector", "version"], unique: true, name: "method_version" },
  { collection: COLLECTIONS.forgeRuns, fields: ["status", "startedAt"], unique: false, name: "run_status" },
  { collection: COLLECTIONS.forgeRuns, fields: ["startedAt"], unique: false, name: "run_started" },
  { collection: COLLECTIONS.forgeAttempts, fields: ["runId", "number"], unique: true, name: "attempt_number" },
  { collection: COLLECTIONS.events, fields: ["seq"], unique: true, name: "event_seq" },
  { collection: COLLECTIONS.checkpoints, fields: ["threadId", "checkpointNs", "checkpointId"], unique: true, name: "checkpoint_id" },
  {
    collection: COLLECTIONS.checkpointBlobs,
    fields: ["threadId", "checkpointNs", "channel", "version"],
    unique: true,
    name: "blob_version",
  },
  {
    collection: COLLECTIONS.checkpointWrites,
    fields: ["threadId", "checkpointNs", "checkpointId", "taskId", "idx"],
    unique: true,
    name: "write_idx",
  },
];

export const ARANGO_MIGRATIONS: readonly ArangoMigration[] = [
  {
    version: 1,
    name: "collections, indexes and counters of the store and its checkpointer",
    apply: async (db) => {
      for (const name of ALL_COLLECTIONS) await ensureCollection(db, name);
      for (const index of INDEXES) {
        await db
          .collection(index.collection)
          .ensureIndex({ type: "persistent", fields: index.fields, unique: index.unique, name: index.name });
      }
      const meta = db.collection(COLLECTIONS.meta);
      for (const key of Object.values(COUNTERS)) await meta.save({ _key: key, value: 0 }, { overwriteMode: "ignore" });
    },
  },
  {
    version: 2,
    name: "owners with leases for messages and forge runs in flight; the root objects nil and system",
    apply: async (db) => {
      await ensureCollection(db, COLLECTIONS.owners);
      await db
        .collection(COLLECTIONS.messages)
        .ensureIndex({ type: "persistent", fields: ["status", "ownerId"], name: "message_status_owner" });
      await db
        .collection(COLLECTIONS.forgeRuns)
        .ensureIndex({ type: "persistent", fields: ["status", "ownerId"], name: "run_status_owner" });
      const objects = db.collection<ObjectDoc>(COLLECTIONS.objects);
      const at = new Date().toISOString();
      // "ignore": an object of that id made meanwhile (by genesis, or another process) is kept as it is.
      for (const id of ["nil", "system"]) {
        await objects.save({ _key: id, attributes: {}, revision: 1, createdAt: at, updatedAt: at }, { overwriteMode: "ignore" });
      }
    },
  },
  {
    version: 3,
    name: "library search: the LibraryIndex collection, its Analyzer and the ArangoSearch View LibrarySearch",
    apply: ensureLibrarySchema,
  },
  {
    version: 4,
    name: "a person's grants of the hosts tools call: the ToolGrants collection",
    apply: async (db) => {
      await ensureCollection(db, COLLECTIONS.toolGrants);
      await db
        .collection(COLLECTIONS.toolGrants)
        .ensureIndex({ type: "persistent", fields: ["toolName", "host"], name: "grant_tool_host" });
    },
  },
  {
    version: 5,
    name: "the library tools a tool version uses: an index on ToolVersions.uses[*].name",
    apply: async (db) => {
      await db
        .collection(COLLECTIONS.toolVersions)
        .ensureIndex({ type: "persistent", fields: ["uses[*].name"], name: "tool_version_uses", sparse: true });
    },
  },
];

/** Applies what the database lacks; returns the versions applied now. */
export async function migrateArango(db: Database, location: string): Promise<number[]> {
  await ensureCollection(db, COLLECTIONS.migrations);
  const migrations = db.collection<{ version: number; name: string; appliedAt: string }>(COLLECTIONS.migrations);
  const cursor = await db.query<number>({ query: "FOR m IN @@c RETURN m.version", bindVars: { "@c": COLLECTIONS.migrations } });
  const applied = new Set(await cursor.all());
  const newest = Math.max(0, ...applied);
  const known = Math.max(...ARANGO_MIGRATIONS.map((m) => m.version));
  if (newest > known) {
    throw new StoreUnavailableError(
      `${location} has schema version ${newest}, but this ToolForge knows versions up to ${known}`,
      "upgrade ToolForge, or set ARANGO_DB to a database made by this version",
    );
  }
  const done: number[] = [];
  for (const migration of ARANGO_MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    await migration.apply(db);
    try {
      await migrations.save({
        _key: String(migration.version),
        version: migration.version,
        name: migration.name,
        appliedAt: new Date().toISOString(),
      });
      done.push(migration.version);
    } catch (error) {
      // Another process applied (idempotently) and recorded the same version first.
      if (arangoErrorNum(error) !== ARANGO_ERRORS.uniqueConstraintViolated) throw error;
    }
  }
  return done;
}

async function ensureCollection(db: Database, name: CollectionName): Promise<void> {
  const collection = db.collection(name);
  if (await collection.exists()) return;
  try {
    if (EDGE_COLLECTIONS.includes(name)) await db.createEdgeCollection(name);
    else await db.createCollection(name);
  } catch (error) {
    if (arangoErrorNum(error) !== ARANGO_ERRORS.duplicateName) throw error; // created by another process meanwhile
  }
}
