/** Tools and their versions in ArangoDB: install and rollback are each one stream transaction. */
import type { Database } from "arangojs";
import { aql } from "arangojs/aql";
import { InvalidInputError, NotFoundError } from "../../errors.js";
import { checkNewToolVersion } from "../artifact.js";
import { checkToolName, checkVersion } from "../ids.js";
import type { OpenStoreOptions } from "../options.js";
import type { ToolsPart } from "../parts.js";
import { pickRollbackTarget } from "../rollback.js";
import type { NewToolVersion, ToolDependent, ToolSummary, ToolVersion } from "../types.js";
import { COLLECTIONS, COUNTERS, toolVersionKey, type ToolDoc, type ToolVersionDoc } from "./collections.js";
import { indexEntry, LIBRARY } from "./library.js";
import { originOf, toToolVersion } from "./mapping.js";
import { assertForgeRunExists } from "./records.js";
import { bumpCounter, counterCollections, inTransaction, insertEvent, noTransaction, queryAll, queryOne } from "./transaction.js";

export class ArangoTools implements ToolsPart {
  private readonly tools;
  private readonly versions;

  constructor(
    private readonly db: Database,
    private readonly beforeCommit: OpenStoreOptions["beforeCommit"],
  ) {
    this.tools = db.collection<ToolDoc>(COLLECTIONS.tools);
    this.versions = db.collection<ToolVersionDoc>(COLLECTIONS.toolVersions);
  }

  async install(input: NewToolVersion): Promise<ToolVersion> {
    const checked = checkNewToolVersion(input);
    const name = checked.toolName;
    return inTransaction(
      this.db,
      counterCollections([COLLECTIONS.tools, COLLECTIONS.toolVersions, LIBRARY.collection], [COLLECTIONS.forgeRuns]),
      async (step) => {
        await assertForgeRunExists(this.db, step, checked.forgeRunId, `tool "${name}"`);
        const newest = await queryOne<number>(
          this.db,
          step,
          aql`
          FOR v IN ${this.versions} FILTER v.toolName == ${name} SORT v.version DESC LIMIT 1 RETURN v.version`,
        );
        const version = (newest ?? 0) + 1;
        for (const pin of checked.uses) {
          const held = await queryOne<number>(
            this.db,
            step,
            aql`RETURN LENGTH(DOCUMENT(${this.versions}, ${toolVersionKey(pin.name, pin.version)}))`,
          );
          if (!held) {
            throw new InvalidInputError(
              `tool "${name}" uses ${pin.name} v${pin.version}, which the library does not hold`,
              "pin only versions that are installed (admission resolves them)",
            );
          }
        }
        const at = new Date().toISOString();
        const doc: ToolVersionDoc = {
          _key: toolVersionKey(name, version),
          toolName: name,
          version,
          description: checked.description,
          schema: checked.schema,
          source: checked.source,
          compiled: checked.compiled,
          sha256: checked.sha256.toLowerCase(),
          forgeRunId: checked.forgeRunId,
          origin: checked.origin,
          hosts: checked.hosts,
          ...(checked.uses.length ? { uses: checked.uses } : {}),
          createdAt: at,
        };
        await step(() => this.versions.save(doc));
        await queryAll(
          this.db,
          step,
          aql`
          UPSERT { _key: ${name} }
            INSERT { _key: ${name}, activeVersion: ${version}, createdAt: ${at}, updatedAt: ${at} }
            UPDATE { activeVersion: ${version}, updatedAt: ${at} }
            IN ${this.tools}`,
        );
        const entry = { kind: "tool", name, objectId: null, version, description: doc.description, schema: doc.schema } as const;
        await indexEntry(this.db, step, entry, doc.forgeRunId);
        const revision = await bumpCounter(this.db, step, COUNTERS.registry);
        await insertEvent(this.db, step, "tool.installed", { name, version, sha256: doc.sha256, origin: checked.origin, revision }, at);
        return toToolVersion(doc, version);
      },
      () => this.beforeCommit?.("installToolVersion"),
    );
  }

  async rollback(name: string, requested?: number): Promise<ToolVersion> {
    checkToolName(name);
    if (requested !== undefined) checkVersion(requested);
    return inTransaction(
      this.db,
      counterCollections([COLLECTIONS.tools, LIBRARY.collection], [COLLECTIONS.toolVersions, COLLECTIONS.forgeRuns]),
      async (step) => {
        const tool = await queryOne<ToolDoc>(this.db, step, aql`RETURN DOCUMENT(${this.tools}, ${name})`);
        if (!tool) throw new NotFoundError(`no tool named "${name}"`, "list the tools to see what exists");
        const versions = await queryAll<number>(
          this.db,
          step,
          aql`FOR v IN ${this.versions} FILTER v.toolName == ${name} RETURN v.version`,
        );
        const target = pickRollbackTarget(`tool "${name}"`, versions, tool.activeVersion, requested);
        const at = new Date().toISOString();
        await step(() => this.tools.update(name, { activeVersion: target, updatedAt: at }));
        const doc = await queryOne<ToolVersionDoc>(this.db, step, aql`RETURN DOCUMENT(${this.versions}, ${toolVersionKey(name, target)})`);
        if (!doc) throw new Error(`internal: tool "${name}" version ${target} vanished inside its own transaction`);
        const entry = { kind: "tool", name, objectId: null, version: target, description: doc.description, schema: doc.schema } as const;
        await indexEntry(this.db, step, entry, doc.forgeRunId);
        const revision = await bumpCounter(this.db, step, COUNTERS.registry);
        await insertEvent(this.db, step, "tool.rolled_back", { name, version: target, from: tool.activeVersion, revision }, at);
        return toToolVersion(doc, target);
      },
      () => this.beforeCommit?.("rollbackTool"),
    );
  }

  async get(name: string): Promise<ToolSummary | null> {
    return (await this.summaries(name))[0] ?? null;
  }

  list(): Promise<ToolSummary[]> {
    return this.summaries(null);
  }

  async count(): Promise<number> {
    return (await queryOne<number>(this.db, noTransaction, aql`RETURN LENGTH(${this.tools})`)) ?? 0;
  }

  async activeVersions(): Promise<ToolVersion[]> {
    const rows = await queryAll<ToolVersionDoc>(
      this.db,
      noTransaction,
      aql`
      FOR t IN ${this.tools} SORT t._key
        FOR v IN ${this.versions} FILTER v.toolName == t._key AND v.version == t.activeVersion
          RETURN v`,
    );
    return rows.map((doc) => toToolVersion(doc, doc.version));
  }

  async listVersions(name: string): Promise<ToolVersion[]> {
    const rows = await queryAll<{ doc: ToolVersionDoc; active: number }>(
      this.db,
      noTransaction,
      aql`
      LET tool = DOCUMENT(${this.tools}, ${name})
      FILTER tool != null
      FOR v IN ${this.versions} FILTER v.toolName == ${name} SORT v.version
        RETURN { doc: v, active: tool.activeVersion }`,
    );
    return rows.map((r) => toToolVersion(r.doc, r.active));
  }

  async dependents(name: string): Promise<ToolDependent[]> {
    checkToolName(name);
    return queryAll<ToolDependent>(
      this.db,
      noTransaction,
      aql`
      FOR v IN ${this.versions}
        FILTER ${name} IN v.uses[*].name
        LET tool = DOCUMENT(${this.tools}, v.toolName)
        FILTER tool != null AND tool.activeVersion == v.version
        SORT v.toolName
        RETURN { name: v.toolName, version: v.version, pinned: FIRST(FOR u IN v.uses FILTER u.name == ${name} RETURN u.version) }`,
    );
  }

  async version(name: string, version: number): Promise<ToolVersion | null> {
    const row = await queryOne<{ doc: ToolVersionDoc; active: number }>(
      this.db,
      noTransaction,
      aql`
      LET tool = DOCUMENT(${this.tools}, ${name})
      FILTER tool != null
      FOR v IN ${this.versions} FILTER v.toolName == ${name} AND v.version == ${version}
        RETURN { doc: v, active: tool.activeVersion }`,
    );
    return row ? toToolVersion(row.doc, row.active) : null;
  }

  private async summaries(name: string | null): Promise<ToolSummary[]> {
    const rows = await queryAll<ToolSummary & { forgeRunId: string | null; storedOrigin?: ToolSummary["origin"] }>(
      this.db,
      noTransaction,
      aql`
      FOR t IN ${this.tools}
        FILTER ${name} == null OR t._key == ${name}
        SORT t._key
        LET active = FIRST(FOR v IN ${this.versions} FILTER v.toolName == t._key AND v.version == t.activeVersion RETURN v)
        LET count = LENGTH(FOR v IN ${this.versions} FILTER v.toolName == t._key RETURN 1)
        RETURN { name: t._key, activeVersion: t.activeVersion, versionCount: count,
                 description: active.description, schema: active.schema, hosts: active.hosts || [], uses: (FOR u IN (active.uses || []) SORT u.name RETURN u), updatedAt: t.updatedAt,
                 forgeRunId: active.forgeRunId, storedOrigin: active.origin }`,
    );
    return rows.map(({ forgeRunId, storedOrigin, ...summary }) => ({
      ...summary,
      origin: originOf({ forgeRunId, ...(storedOrigin ? { origin: storedOrigin } : {}) }),
    }));
  }
}
