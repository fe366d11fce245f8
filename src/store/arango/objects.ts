/**
 * Objects, their ordered prototype links (edges in PrototypeLinks with an `order` field), methods
 * and method lookup in ArangoDB.
 *
 * Lookup: an AQL traversal cannot visit edges sorted by an attribute (its DFS follows edges in
 * index order; "weighted" order is a shortest-path order), so one AQL query does the traversal to
 * collect every object within `maxDepth` links (BFS, each vertex once), all their links with their
 * `order`, and which of them hold an active method for the selector; the link-order depth-first
 * choice is then made in code by the same walker the SQLite adapter uses, so both resolve alike.
 */
import type { Database } from "arangojs";
import { aql, literal } from "arangojs/aql";
import { NotFoundError, RevisionConflictError } from "../../errors.js";
import { checkNewMethodVersion } from "../artifact.js";
import { checkSelector, checkVersion, normaliseObjectId } from "../ids.js";
import { checkAttributes, checkNewObject, checkPrototypeList, missingObject, objectAlreadyExists } from "../object-input.js";
import type { OpenStoreOptions } from "../options.js";
import type { ObjectsPart } from "../parts.js";
import { checkMaxDepth, walkPrototypes } from "../prototype-walk.js";
import { pickRollbackTarget } from "../rollback.js";
import type { JsonObject, MethodVersion, NewMethodVersion, NewObject, ObjectRecord, ResolvedMethod } from "../types.js";
import {
  COLLECTIONS,
  COUNTERS,
  methodKey,
  methodVersionKey,
  objectHandle,
  type LinkDoc,
  type MethodDoc,
  type MethodVersionDoc,
  type ObjectDoc,
} from "./collections.js";
import { ARANGO_ERRORS, arangoErrorNum } from "./errors.js";
import { indexEntry, LIBRARY } from "./library.js";
import { toMethodVersion, toObjectRecord } from "./mapping.js";
import { assertForgeRunExists } from "./records.js";
import {
  bumpCounter,
  counterCollections,
  inTransaction,
  insertEvent,
  noTransaction,
  queryAll,
  queryOne,
  type Step,
} from "./transaction.js";

export class ArangoObjects implements ObjectsPart {
  private readonly objects;
  private readonly links;
  private readonly methods;
  private readonly versions;

  constructor(
    private readonly db: Database,
    private readonly beforeCommit: OpenStoreOptions["beforeCommit"],
  ) {
    this.objects = db.collection<ObjectDoc>(COLLECTIONS.objects);
    this.links = db.collection<LinkDoc>(COLLECTIONS.links);
    this.methods = db.collection<MethodDoc>(COLLECTIONS.methods);
    this.versions = db.collection<MethodVersionDoc>(COLLECTIONS.methodVersions);
  }

  async create(input: NewObject): Promise<ObjectRecord> {
    const checked = checkNewObject(input);
    try {
      return await inTransaction(this.db, { write: [COLLECTIONS.objects, COLLECTIONS.links] }, async (step) => {
        if (await this.exists(step, checked.id)) {
          throw objectAlreadyExists(checked.id);
        }
        return this.insert(step, checked.id, checked.attributes, checked.prototypes);
      });
    } catch (error) {
      if (isConcurrentInsert(error)) throw objectAlreadyExists(checked.id);
      throw error;
    }
  }

  async ensure(input: NewObject): Promise<ObjectRecord> {
    const checked = checkNewObject(input);
    try {
      return await inTransaction(this.db, { write: [COLLECTIONS.objects, COLLECTIONS.links] }, async (step) => {
        return (await this.read(step, checked.id)) ?? this.insert(step, checked.id, checked.attributes, checked.prototypes);
      });
    } catch (error) {
      // Created by another process between our read and our insert: theirs is the one to return.
      if (!isConcurrentInsert(error)) throw error;
      const existing = await this.read(noTransaction, checked.id);
      if (!existing) throw error;
      return existing;
    }
  }

  get(id: string): Promise<ObjectRecord | null> {
    return this.read(noTransaction, normaliseObjectId(id));
  }

  async list(): Promise<ObjectRecord[]> {
    const rows = await queryAll<{ doc: ObjectDoc; prototypes: string[] }>(
      this.db,
      noTransaction,
      aql`
      FOR o IN ${this.objects} SORT o._key
        RETURN { doc: o, prototypes: (FOR e IN ${this.links} FILTER e._from == o._id SORT e.order RETURN PARSE_IDENTIFIER(e._to).key) }`,
    );
    return rows.map((r) => toObjectRecord(r.doc, r.prototypes));
  }

  async updateAttributes(id: string, expectedRevision: number, attributes: JsonObject): Promise<ObjectRecord> {
    const objectId = normaliseObjectId(id);
    checkAttributes(attributes, objectId);
    let updated: ObjectDoc | undefined;
    try {
      // The FILTER on the revision makes this a compare-and-set; two writers passing it at once
      // collide in RocksDB and the loser gets a write-write conflict (1200), reported the same way.
      updated = await queryOne<ObjectDoc>(
        this.db,
        noTransaction,
        aql`
        FOR o IN ${this.objects} FILTER o._key == ${objectId} AND o.revision == ${expectedRevision}
          UPDATE o WITH { attributes: ${attributes}, revision: o.revision + 1, updatedAt: ${new Date().toISOString()} }
            IN ${this.objects} OPTIONS { mergeObjects: false, keepNull: true }
          RETURN NEW`,
      );
    } catch (error) {
      if (arangoErrorNum(error) !== ARANGO_ERRORS.conflict) throw error;
    }
    if (!updated) {
      const current = await this.objects.document(objectId, { graceful: true });
      if (!current) throw missingObject(objectId);
      throw new RevisionConflictError(objectId, expectedRevision, current.revision);
    }
    return toObjectRecord(updated, await this.prototypesOf(noTransaction, objectId));
  }

  async setPrototypes(id: string, prototypes: string[]): Promise<ObjectRecord> {
    const objectId = normaliseObjectId(id);
    const ids = checkPrototypeList(objectId, prototypes);
    return inTransaction(this.db, { write: [COLLECTIONS.objects, COLLECTIONS.links] }, async (step) => {
      if (!(await this.exists(step, objectId))) throw missingObject(objectId);
      await queryAll(this.db, step, aql`FOR e IN ${this.links} FILTER e._from == ${objectHandle(objectId)} REMOVE e IN ${this.links}`);
      await this.link(step, objectId, ids);
      await step(() => this.objects.update(objectId, { updatedAt: new Date().toISOString() }));
      const record = await this.read(step, objectId);
      if (!record) throw missingObject(objectId);
      return record;
    });
  }

  async installMethod(input: NewMethodVersion): Promise<MethodVersion> {
    const checked = checkNewMethodVersion(input);
    const { objectId, selector } = checked;
    return inTransaction(
      this.db,
      counterCollections(
        [COLLECTIONS.methods, COLLECTIONS.methodVersions, LIBRARY.collection],
        [COLLECTIONS.objects, COLLECTIONS.forgeRuns],
      ),
      async (step) => {
        if (!(await this.exists(step, objectId))) throw missingObject(objectId);
        await assertForgeRunExists(this.db, step, checked.forgeRunId, `method "${selector}" of object "${objectId}"`);
        const newest = await queryOne<number>(
          this.db,
          step,
          aql`
          FOR v IN ${this.versions} FILTER v.objectId == ${objectId} AND v.selector == ${selector}
            SORT v.version DESC LIMIT 1 RETURN v.version`,
        );
        const version = (newest ?? 0) + 1;
        const at = new Date().toISOString();
        const doc: MethodVersionDoc = {
          _key: methodVersionKey(objectId, selector, version),
          objectId,
          selector,
          version,
          description: checked.description,
          source: checked.source,
          compiled: checked.compiled,
          sha256: checked.sha256.toLowerCase(),
          forgeRunId: checked.forgeRunId,
          createdAt: at,
        };
        await step(() => this.versions.save(doc));
        const key = methodKey(objectId, selector);
        await queryAll(
          this.db,
          step,
          aql`
          UPSERT { _key: ${key} }
            INSERT { _key: ${key}, objectId: ${objectId}, selector: ${selector}, activeVersion: ${version}, createdAt: ${at}, updatedAt: ${at} }
            UPDATE { activeVersion: ${version}, updatedAt: ${at} }
            IN ${this.methods}`,
        );
        const entry = { kind: "method", name: selector, objectId, version, description: doc.description, schema: null } as const;
        await indexEntry(this.db, step, entry, doc.forgeRunId);
        const revision = await bumpCounter(this.db, step, COUNTERS.registry);
        await insertEvent(this.db, step, "method.installed", { objectId, selector, version, sha256: doc.sha256, revision }, at);
        return toMethodVersion(doc, version);
      },
      () => this.beforeCommit?.("installMethodVersion"),
    );
  }

  async rollbackMethod(id: string, selector: string, requested?: number): Promise<MethodVersion> {
    const objectId = normaliseObjectId(id);
    checkSelector(selector);
    if (requested !== undefined) checkVersion(requested);
    const what = `method "${selector}" of object "${objectId}"`;
    return inTransaction(
      this.db,
      counterCollections([COLLECTIONS.methods, LIBRARY.collection], [COLLECTIONS.methodVersions, COLLECTIONS.forgeRuns]),
      async (step) => {
        const key = methodKey(objectId, selector);
        const method = await queryOne<MethodDoc | null>(this.db, step, aql`RETURN DOCUMENT(${this.methods}, ${key})`);
        if (!method) throw new NotFoundError(`no ${what}`, "list the object's methods to see what exists");
        const versions = await queryAll<number>(
          this.db,
          step,
          aql`
          FOR v IN ${this.versions} FILTER v.objectId == ${objectId} AND v.selector == ${selector} RETURN v.version`,
        );
        const target = pickRollbackTarget(what, versions, method.activeVersion, requested);
        const at = new Date().toISOString();
        await step(() => this.methods.update(key, { activeVersion: target, updatedAt: at }));
        const doc = await queryOne<MethodVersionDoc | null>(
          this.db,
          step,
          aql`RETURN DOCUMENT(${this.versions}, ${methodVersionKey(objectId, selector, target)})`,
        );
        if (!doc) throw new Error(`internal: ${what} version ${target} vanished inside its own transaction`);
        const entry = { kind: "method", name: selector, objectId, version: target, description: doc.description, schema: null } as const;
        await indexEntry(this.db, step, entry, doc.forgeRunId);
        const revision = await bumpCounter(this.db, step, COUNTERS.registry);
        await insertEvent(
          this.db,
          step,
          "method.rolled_back",
          { objectId, selector, version: target, from: method.activeVersion, revision },
          at,
        );
        return toMethodVersion(doc, target);
      },
      () => this.beforeCommit?.("rollbackMethod"),
    );
  }

  async lookup(id: string, selector: string, requestedDepth?: number): Promise<ResolvedMethod | null> {
    const receiverId = normaliseObjectId(id);
    checkSelector(selector);
    const maxDepth = checkMaxDepth(requestedDepth);
    const found = await queryOne<{ links: { from: string; to: string }[]; holders: { doc: MethodVersionDoc; objectId: string }[] }>(
      this.db,
      noTransaction,
      aql`
        WITH ${literal(COLLECTIONS.objects)}
        LET start = DOCUMENT(${this.objects}, ${receiverId})
        FILTER start != null
        LET reachable = (
          FOR v IN 0..${maxDepth} OUTBOUND start ${this.links}
            OPTIONS { order: "bfs", uniqueVertices: "global" }
            RETURN v._id)
        LET links = (
          FOR e IN ${this.links} FILTER e._from IN reachable SORT e._from, e.order
            RETURN { from: PARSE_IDENTIFIER(e._from).key, to: PARSE_IDENTIFIER(e._to).key })
        LET keys = (FOR r IN reachable RETURN PARSE_IDENTIFIER(r).key)
        LET holders = (
          FOR m IN ${this.methods} FILTER m.selector == ${selector} AND m.objectId IN keys
            FOR v IN ${this.versions}
              FILTER v.objectId == m.objectId AND v.selector == m.selector AND v.version == m.activeVersion
              RETURN { objectId: m.objectId, doc: v })
        RETURN { links, holders }`,
    );
    if (!found) throw missingObject(receiverId);
    const prototypes = new Map<string, string[]>();
    for (const link of found.links) prototypes.set(link.from, [...(prototypes.get(link.from) ?? []), link.to]);
    const holders = new Map(found.holders.map((h) => [h.objectId, h.doc]));
    for (const visited of walkPrototypes(receiverId, (objectId) => prototypes.get(objectId) ?? [], maxDepth)) {
      const doc = holders.get(visited.id);
      if (doc) return { holderId: visited.id, depth: visited.depth, method: toMethodVersion(doc, doc.version) };
    }
    return null;
  }

  async listMethods(id: string): Promise<MethodVersion[]> {
    const objectId = normaliseObjectId(id);
    const docs = await queryAll<MethodVersionDoc>(
      this.db,
      noTransaction,
      aql`
      FOR m IN ${this.methods} FILTER m.objectId == ${objectId} SORT m.selector
        FOR v IN ${this.versions} FILTER v.objectId == m.objectId AND v.selector == m.selector AND v.version == m.activeVersion
          RETURN v`,
    );
    return docs.map((doc) => toMethodVersion(doc, doc.version));
  }

  async listMethodVersions(id: string, selector: string): Promise<MethodVersion[]> {
    const objectId = normaliseObjectId(id);
    const rows = await queryAll<{ doc: MethodVersionDoc; active: number }>(
      this.db,
      noTransaction,
      aql`
      LET method = DOCUMENT(${this.methods}, ${methodKey(objectId, selector)})
      FILTER method != null
      FOR v IN ${this.versions} FILTER v.objectId == ${objectId} AND v.selector == ${selector} SORT v.version
        RETURN { doc: v, active: method.activeVersion }`,
    );
    return rows.map((r) => toMethodVersion(r.doc, r.active));
  }

  private async insert(step: Step, id: string, attributes: JsonObject, prototypes: string[]): Promise<ObjectRecord> {
    const at = new Date().toISOString();
    const doc: ObjectDoc = { _key: id, attributes, revision: 1, createdAt: at, updatedAt: at };
    await step(() => this.objects.save(doc));
    await this.link(step, id, prototypes);
    return toObjectRecord(doc, prototypes);
  }

  private async link(step: Step, objectId: string, prototypes: string[]): Promise<void> {
    if (prototypes.length === 0) return;
    const present = await queryAll<string>(
      this.db,
      step,
      aql`
      FOR id IN ${prototypes} FILTER DOCUMENT(${this.objects}, id) != null RETURN id`,
    );
    const missing = prototypes.find((p) => !present.includes(p));
    if (missing !== undefined) {
      throw new NotFoundError(`prototype "${missing}" of object "${objectId}" does not exist`, "create the prototype object first");
    }
    const edges: LinkDoc[] = prototypes.map((p, order) => ({ _from: objectHandle(objectId), _to: objectHandle(p), order }));
    await queryAll(this.db, step, aql`FOR e IN ${edges} INSERT e INTO ${this.links}`);
  }

  private async exists(step: Step, id: string): Promise<boolean> {
    return (await queryOne<boolean>(this.db, step, aql`RETURN DOCUMENT(${this.objects}, ${id}) != null`)) === true;
  }

  private async read(step: Step, id: string): Promise<ObjectRecord | null> {
    const doc = await queryOne<ObjectDoc | null>(this.db, step, aql`RETURN DOCUMENT(${this.objects}, ${id})`);
    return doc ? toObjectRecord(doc, await this.prototypesOf(step, id)) : null;
  }

  private prototypesOf(step: Step, id: string): Promise<string[]> {
    return queryAll<string>(
      this.db,
      step,
      aql`
      FOR e IN ${this.links} FILTER e._from == ${objectHandle(id)} SORT e.order RETURN PARSE_IDENTIFIER(e._to).key`,
    );
  }
}

/** Another writer inserted the same key first: a unique-constraint violation or a write-write conflict. */
function isConcurrentInsert(error: unknown): boolean {
  const errorNum = arangoErrorNum(error);
  return errorNum === ARANGO_ERRORS.uniqueConstraintViolated || errorNum === ARANGO_ERRORS.conflict;
}
