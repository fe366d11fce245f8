/** Objects, their ordered prototype links, methods and method lookup in SQLite. */
import type Database from "better-sqlite3";
import { NotFoundError, RevisionConflictError } from "../../errors.js";
import { checkNewMethodVersion } from "../artifact.js";
import { checkSelector, checkVersion, normaliseObjectId } from "../ids.js";
import { checkAttributes, checkNewObject, checkPrototypeList, missingObject, objectAlreadyExists } from "../object-input.js";
import type { OpenStoreOptions } from "../options.js";
import type { ObjectsPart } from "../parts.js";
import { checkMaxDepth, walkPrototypes } from "../prototype-walk.js";
import { pickRollbackTarget } from "../rollback.js";
import type { JsonObject, MethodVersion, NewMethodVersion, NewObject, ObjectRecord, ResolvedMethod } from "../types.js";
import { indexMethod } from "./library.js";
import { assertForgeRunExists } from "./records.js";
import { bumpRegistryRevision, insertEvent } from "./registry.js";
import { METHOD_VERSION_COLUMNS, toMethodVersion, toObjectRecord, type MethodVersionRow, type ObjectRow } from "./rows.js";
import { runBeforeCommit } from "./before-commit.js";

const METHOD_VERSION_SQL = `SELECT ${METHOD_VERSION_COLUMNS} FROM method_versions v
  JOIN methods m ON m.object_id = v.object_id AND m.selector = v.selector`;

export class SqliteObjects implements ObjectsPart {
  constructor(
    private readonly db: Database.Database,
    private readonly beforeCommit: OpenStoreOptions["beforeCommit"],
  ) {}

  create(input: NewObject): ObjectRecord {
    const checked = checkNewObject(input);
    return this.db
      .transaction(() => {
        if (this.row(checked.id)) {
          throw objectAlreadyExists(checked.id);
        }
        return this.insert(checked.id, checked.attributes, checked.prototypes);
      })
      .immediate();
  }

  ensure(input: NewObject): ObjectRecord {
    const checked = checkNewObject(input);
    return this.db.transaction(() => this.get(checked.id) ?? this.insert(checked.id, checked.attributes, checked.prototypes)).immediate();
  }

  get(id: string): ObjectRecord | null {
    const row = this.row(normaliseObjectId(id));
    return row ? toObjectRecord(row, this.prototypesOf(row.id)) : null;
  }

  list(): ObjectRecord[] {
    const rows = this.db.prepare("SELECT * FROM objects ORDER BY id").all() as ObjectRow[];
    return rows.map((row) => toObjectRecord(row, this.prototypesOf(row.id)));
  }

  updateAttributes(id: string, expectedRevision: number, attributes: JsonObject): ObjectRecord {
    const objectId = normaliseObjectId(id);
    checkAttributes(attributes, objectId);
    return this.db
      .transaction(() => {
        const changed = this.db
          .prepare("UPDATE objects SET attributes = ?, revision = revision + 1, updated_at = ? WHERE id = ? AND revision = ?")
          .run(JSON.stringify(attributes), new Date().toISOString(), objectId, expectedRevision).changes;
        if (changed === 0) {
          const current = this.row(objectId);
          if (!current) throw missingObject(objectId);
          throw new RevisionConflictError(objectId, expectedRevision, current.revision);
        }
        return this.require(objectId);
      })
      .immediate();
  }

  setPrototypes(id: string, prototypes: string[]): ObjectRecord {
    const objectId = normaliseObjectId(id);
    const ids = checkPrototypeList(objectId, prototypes);
    return this.db
      .transaction(() => {
        if (!this.row(objectId)) throw missingObject(objectId);
        this.db.prepare("DELETE FROM prototype_links WHERE object_id = ?").run(objectId);
        this.link(objectId, ids);
        this.db.prepare("UPDATE objects SET updated_at = ? WHERE id = ?").run(new Date().toISOString(), objectId);
        return this.require(objectId);
      })
      .immediate();
  }

  installMethod(input: NewMethodVersion): MethodVersion {
    const checked = checkNewMethodVersion(input);
    const { objectId, selector } = checked;
    const install = this.db.transaction(() => {
      if (!this.row(objectId)) throw missingObject(objectId);
      assertForgeRunExists(this.db, checked.forgeRunId, `method "${selector}" of object "${objectId}"`);
      const at = new Date().toISOString();
      const { next } = this.db
        .prepare("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM method_versions WHERE object_id = ? AND selector = ?")
        .get(objectId, selector) as { next: number };
      this.db
        .prepare(
          `INSERT INTO method_versions (object_id, selector, version, description, source, compiled, sha256, forge_run_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          objectId,
          selector,
          next,
          checked.description,
          checked.source,
          checked.compiled,
          checked.sha256.toLowerCase(),
          checked.forgeRunId,
          at,
        );
      this.db
        .prepare(
          `INSERT INTO methods (object_id, selector, active_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (object_id, selector) DO UPDATE SET active_version = excluded.active_version, updated_at = excluded.updated_at`,
        )
        .run(objectId, selector, next, at, at);
      indexMethod(this.db, objectId, selector);
      const revision = bumpRegistryRevision(this.db);
      insertEvent(this.db, "method.installed", { objectId, selector, version: next, sha256: checked.sha256.toLowerCase(), revision }, at);
      runBeforeCommit(this.beforeCommit, "installMethodVersion");
      return this.requireMethodVersion(objectId, selector, next);
    });
    return install.immediate();
  }

  rollbackMethod(id: string, selector: string, version?: number): MethodVersion {
    const objectId = normaliseObjectId(id);
    checkSelector(selector);
    if (version !== undefined) checkVersion(version);
    const what = `method "${selector}" of object "${objectId}"`;
    const rollback = this.db.transaction(() => {
      const method = this.db.prepare("SELECT active_version FROM methods WHERE object_id = ? AND selector = ?").get(objectId, selector) as
        { active_version: number } | undefined;
      if (!method) throw new NotFoundError(`no ${what}`, "list the object's methods to see what exists");
      const versions = (
        this.db.prepare("SELECT version FROM method_versions WHERE object_id = ? AND selector = ?").all(objectId, selector) as {
          version: number;
        }[]
      ).map((r) => r.version);
      const target = pickRollbackTarget(what, versions, method.active_version, version);
      const at = new Date().toISOString();
      this.db
        .prepare("UPDATE methods SET active_version = ?, updated_at = ? WHERE object_id = ? AND selector = ?")
        .run(target, at, objectId, selector);
      indexMethod(this.db, objectId, selector);
      const revision = bumpRegistryRevision(this.db);
      insertEvent(this.db, "method.rolled_back", { objectId, selector, version: target, from: method.active_version, revision }, at);
      runBeforeCommit(this.beforeCommit, "rollbackMethod");
      return this.requireMethodVersion(objectId, selector, target);
    });
    return rollback.immediate();
  }

  lookup(id: string, selector: string, maxDepth?: number): ResolvedMethod | null {
    const receiverId = normaliseObjectId(id);
    checkSelector(selector);
    const depthLimit = checkMaxDepth(maxDepth);
    // One read transaction: the chain and the methods are seen as of one moment.
    return this.db.transaction(() => {
      if (!this.row(receiverId)) throw missingObject(receiverId);
      const activeMethod = this.db.prepare(
        `${METHOD_VERSION_SQL} WHERE v.object_id = ? AND v.selector = ? AND v.version = m.active_version`,
      );
      for (const visited of walkPrototypes(receiverId, (objectId) => this.prototypesOf(objectId), depthLimit)) {
        const row = activeMethod.get(visited.id, selector) as MethodVersionRow | undefined;
        if (row) return { holderId: visited.id, depth: visited.depth, method: toMethodVersion(row) };
      }
      return null;
    })();
  }

  listMethods(id: string): MethodVersion[] {
    const objectId = normaliseObjectId(id);
    const rows = this.db
      .prepare(`${METHOD_VERSION_SQL} WHERE v.object_id = ? AND v.version = m.active_version ORDER BY v.selector`)
      .all(objectId) as MethodVersionRow[];
    return rows.map(toMethodVersion);
  }

  listMethodVersions(id: string, selector: string): MethodVersion[] {
    const objectId = normaliseObjectId(id);
    const rows = this.db
      .prepare(`${METHOD_VERSION_SQL} WHERE v.object_id = ? AND v.selector = ? ORDER BY v.version`)
      .all(objectId, selector) as MethodVersionRow[];
    return rows.map(toMethodVersion);
  }

  private insert(id: string, attributes: JsonObject, prototypes: string[]): ObjectRecord {
    const at = new Date().toISOString();
    this.db
      .prepare("INSERT INTO objects (id, attributes, revision, created_at, updated_at) VALUES (?, ?, 1, ?, ?)")
      .run(id, JSON.stringify(attributes), at, at);
    this.link(id, prototypes);
    return this.require(id);
  }

  private link(objectId: string, prototypes: string[]): void {
    const insert = this.db.prepare("INSERT INTO prototype_links (object_id, prototype_id, position) VALUES (?, ?, ?)");
    prototypes.forEach((prototypeId, position) => {
      if (!this.row(prototypeId)) {
        throw new NotFoundError(`prototype "${prototypeId}" of object "${objectId}" does not exist`, "create the prototype object first");
      }
      insert.run(objectId, prototypeId, position);
    });
  }

  private row(id: string): ObjectRow | undefined {
    return this.db.prepare("SELECT * FROM objects WHERE id = ?").get(id) as ObjectRow | undefined;
  }

  private require(id: string): ObjectRecord {
    const found = this.get(id);
    if (!found) throw missingObject(id);
    return found;
  }

  private prototypesOf(id: string): string[] {
    const rows = this.db.prepare("SELECT prototype_id FROM prototype_links WHERE object_id = ? ORDER BY position").all(id) as {
      prototype_id: string;
    }[];
    return rows.map((r) => r.prototype_id);
  }

  private requireMethodVersion(objectId: string, selector: string, version: number): MethodVersion {
    const row = this.db
      .prepare(`${METHOD_VERSION_SQL} WHERE v.object_id = ? AND v.selector = ? AND v.version = ?`)
      .get(objectId, selector, version) as MethodVersionRow | undefined;
    if (!row) throw new Error(`internal: ${selector} v${version} of "${objectId}" vanished inside its own transaction`);
    return toMethodVersion(row);
  }
}
