/**
 * The library's search index in ArangoDB: one document per active tool or method in
 * `LibraryIndex` (its terms made by library-text.ts), an ArangoSearch View `LibrarySearch` over it
 * with a delimiter Analyzer (the terms are normalised already: the Analyzer only splits on spaces
 * and keeps the frequency and norm features that BM25 needs), ranked by BM25 with the field
 * weights of library-text.ts as BOOSTs.
 *
 * - Install and rollback write the entry's index document in their own stream transaction.
 * - The View is eventually consistent (it commits every `commitIntervalMsec`): a search waits for
 *   it to be in sync (`waitForSync`) whenever the registry revision moved since this process last
 *   waited, so a tool installed by any process is found by the next search; searches in between
 *   do not wait.
 * - On open, the index is rebuilt when its terms are of another version or it disagrees with the
 *   active versions (e.g. after a snapshot was restored: the index is derived data, not part of it).
 */
import type { Database } from "arangojs";
import { aql } from "arangojs/aql";
import { FIELD_WEIGHTS, LIBRARY_TEXT_VERSION, checkSearchOptions, libraryFields, queryTerms, type LibraryEntry } from "../library-text.js";
import type { LibrarySearchPart } from "../parts.js";
import type { JsonObject } from "../types.js";
import type { LibraryHit, LibrarySearchOptions } from "../library-types.js";
import { COLLECTIONS, COUNTERS, derivedKey } from "./collections.js";
import { ARANGO_ERRORS, arangoErrorNum } from "./errors.js";
import { noTransaction, queryAll, queryOne, readCounter, type Step } from "./transaction.js";

export const LIBRARY = {
  collection: "LibraryIndex",
  view: "LibrarySearch",
  analyzer: "toolforge_terms",
  /** The Meta document that records which LIBRARY_TEXT_VERSION the index was built with. */
  stamp: "library_text_version",
} as const;

interface LibraryDoc {
  _key: string;
  kind: "tool" | "method";
  name: string;
  objectId: string | null;
  version: number;
  description: string;
  nameTerms: string;
  descriptionTerms: string;
  argsTerms: string;
  specTerms: string;
}

const libraryKey = (kind: "tool" | "method", name: string, objectId: string | null) =>
  kind === "tool" ? `tool:${name}` : `method:${derivedKey(objectId ?? "", name)}`;

function toDoc(entry: LibraryEntry): LibraryDoc {
  const fields = libraryFields(entry);
  return {
    _key: libraryKey(entry.kind, entry.name, entry.objectId),
    kind: entry.kind,
    name: entry.name,
    objectId: entry.objectId,
    version: entry.version,
    description: entry.description,
    nameTerms: fields.name,
    descriptionTerms: fields.description,
    argsTerms: fields.args,
    specTerms: fields.spec,
  };
}

/** The collection, Analyzer and View (idempotent: two processes may run it at once). */
export async function ensureLibrarySchema(db: Database): Promise<void> {
  const collection = db.collection(LIBRARY.collection);
  if (!(await collection.exists())) {
    await ignoreDuplicate(() => db.createCollection(LIBRARY.collection));
  }
  const analyzer = db.analyzer(LIBRARY.analyzer);
  if (!(await analyzer.exists())) {
    await ignoreDuplicate(() =>
      analyzer.create({ type: "delimiter", properties: { delimiter: " " }, features: ["frequency", "norm", "position"] }),
    );
  }
  const view = db.view(LIBRARY.view);
  if (!(await view.exists())) {
    const terms = { analyzers: [LIBRARY.analyzer] };
    await ignoreDuplicate(() =>
      db.createView(LIBRARY.view, {
        type: "arangosearch",
        commitIntervalMsec: 250,
        links: {
          [LIBRARY.collection]: {
            includeAllFields: false,
            fields: { nameTerms: terms, descriptionTerms: terms, argsTerms: terms, specTerms: terms, kind: { analyzers: ["identity"] } },
          },
        },
      }),
    );
  }
}

async function ignoreDuplicate(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    // Created by another process meanwhile.
    if (arangoErrorNum(error) !== ARANGO_ERRORS.duplicateName) throw error;
  }
}

/** The spec of a forge run (null without one); `step` must have ForgeRuns in its read set. */
async function specOf(db: Database, step: Step, forgeRunId: string | null): Promise<string | null> {
  if (forgeRunId === null) return null;
  return (
    (await queryOne<string | null>(db, step, aql`RETURN DOCUMENT(${db.collection(COLLECTIONS.forgeRuns)}, ${forgeRunId}).spec`)) ?? null
  );
}

/**
 * Writes the index document of an entry inside the caller's transaction, which must write
 * LibraryIndex and read ForgeRuns.
 */
export async function indexEntry(db: Database, step: Step, entry: Omit<LibraryEntry, "spec">, forgeRunId: string | null): Promise<void> {
  const doc = toDoc({ ...entry, spec: await specOf(db, step, forgeRunId) });
  await step(() => db.collection(LIBRARY.collection).save(doc, { overwriteMode: "replace" }));
}

interface ActiveRow {
  kind: "tool" | "method";
  name: string;
  objectId: string | null;
  version: number;
  description: string;
  schema: JsonObject | null;
  spec: string | null;
}

/** Every active tool and method with the spec it was forged from. */
function activeEntries(db: Database): Promise<ActiveRow[]> {
  const tools = db.collection(COLLECTIONS.tools);
  const toolVersions = db.collection(COLLECTIONS.toolVersions);
  const methods = db.collection(COLLECTIONS.methods);
  const methodVersions = db.collection(COLLECTIONS.methodVersions);
  const runs = db.collection(COLLECTIONS.forgeRuns);
  return queryAll<ActiveRow>(
    db,
    noTransaction,
    aql`
    LET toolRows = (
      FOR t IN ${tools}
        FOR v IN ${toolVersions} FILTER v.toolName == t._key AND v.version == t.activeVersion
          RETURN { kind: "tool", name: t._key, objectId: null, version: v.version, description: v.description,
                   schema: v.schema, spec: v.forgeRunId == null ? null : DOCUMENT(${runs}, v.forgeRunId).spec })
    LET methodRows = (
      FOR m IN ${methods}
        FOR v IN ${methodVersions} FILTER v.objectId == m.objectId AND v.selector == m.selector AND v.version == m.activeVersion
          RETURN { kind: "method", name: m.selector, objectId: m.objectId, version: v.version, description: v.description,
                   schema: null, spec: v.forgeRunId == null ? null : DOCUMENT(${runs}, v.forgeRunId).spec })
    FOR row IN APPEND(toolRows, methodRows) RETURN row`,
  );
}

/** Rebuilds the index when its stamp differs from LIBRARY_TEXT_VERSION or it disagrees with the active versions. */
export async function ensureLibraryIndex(db: Database): Promise<{ rebuilt: boolean }> {
  const meta = db.collection<{ value: number }>(COLLECTIONS.meta);
  const index = db.collection<LibraryDoc>(LIBRARY.collection);
  const stamp = await queryOne<number | null>(db, noTransaction, aql`RETURN DOCUMENT(${meta}, ${LIBRARY.stamp}).value`);
  const active = await activeEntries(db);
  const wanted = new Map(active.map((row) => [libraryKey(row.kind, row.name, row.objectId), row.version]));
  const indexed = await queryAll<{ key: string; version: number }>(
    db,
    noTransaction,
    aql`FOR d IN ${index} RETURN { key: d._key, version: d.version }`,
  );
  const agrees = indexed.length === wanted.size && indexed.every((d) => wanted.get(d.key) === d.version);
  if (stamp === LIBRARY_TEXT_VERSION && agrees) return { rebuilt: false };
  const docs = active.map(toDoc);
  // Not one transaction with the installs: an install racing this rebuild re-indexes its own
  // entry in its transaction, and the next open checks the index again.
  await queryAll(db, noTransaction, aql`FOR d IN ${index} REMOVE d IN ${index}`);
  if (docs.length > 0) await queryAll(db, noTransaction, aql`FOR d IN ${docs} INSERT d INTO ${index} OPTIONS { overwriteMode: "replace" }`);
  await meta.save({ _key: LIBRARY.stamp, value: LIBRARY_TEXT_VERSION }, { overwriteMode: "replace" });
  return { rebuilt: true };
}

/** BM25 search over the View; waits for the View to be in sync when the registry revision moved since the last wait. */
export class ArangoLibrarySearch implements LibrarySearchPart {
  private syncedRevision = -1;

  constructor(private readonly db: Database) {}

  async search(query: string, options?: LibrarySearchOptions): Promise<LibraryHit[]> {
    const { limit, kind } = checkSearchOptions(options);
    const wanted = queryTerms(query);
    if (wanted.length === 0) return [];
    const revision = await readCounter(this.db, COUNTERS.registry);
    const waitForSync = revision !== this.syncedRevision;
    const view = this.db.view(LIBRARY.view);
    const W = FIELD_WEIGHTS;
    const rows = await queryAll<LibraryDoc & { score: number }>(
      this.db,
      noTransaction,
      aql`
      FOR d IN ${view}
        SEARCH ANALYZER(
          BOOST(d.nameTerms IN ${wanted}, ${W.name}) OR BOOST(d.descriptionTerms IN ${wanted}, ${W.description})
            OR BOOST(d.argsTerms IN ${wanted}, ${W.args}) OR BOOST(d.specTerms IN ${wanted}, ${W.spec}),
          ${LIBRARY.analyzer})
        OPTIONS { waitForSync: ${waitForSync} }
        FILTER ${kind} == null OR d.kind == ${kind}
        LET score = BM25(d)
        SORT score DESC, d.name
        LIMIT ${limit}
        RETURN MERGE(d, { score })`,
    );
    if (waitForSync) this.syncedRevision = revision;
    return rows.map((row) => ({
      kind: row.kind,
      name: row.name,
      objectId: row.objectId,
      version: row.version,
      description: row.description,
      score: row.score,
      fields: { name: row.nameTerms, description: row.descriptionTerms, args: row.argsTerms, spec: row.specTerms },
    }));
  }
}
