/**
 * The library's search index in SQLite: `library_docs` (one row per active tool or method: what it
 * is, which version) and `library_fts`, an FTS5 table over the terms of library-text.ts, ranked by
 * FTS5's BM25 with the field weights defined there. Install and rollback call `indexTool` /
 * `indexMethod` inside their own transaction, so the index never disagrees with the active
 * versions that other processes see. `ensureLibraryIndex` (on open) rebuilds it when the terms'
 * definition changed (LIBRARY_TEXT_VERSION) or when it disagrees with the active versions
 * (a file restored from elsewhere).
 */
import type Database from "better-sqlite3";
import { FIELD_WEIGHTS, LIBRARY_TEXT_VERSION, checkSearchOptions, libraryFields, queryTerms, type LibraryEntry } from "../library-text.js";
import type { LibrarySearchPart } from "../parts.js";
import type { JsonObject } from "../types.js";
import type { LibraryFields, LibraryHit, LibrarySearchOptions } from "../library-types.js";

interface ActiveToolRow {
  name: string;
  version: number;
  description: string;
  schema: string;
  spec: string | null;
}

interface ActiveMethodRow {
  object_id: string;
  selector: string;
  version: number;
  description: string;
  spec: string | null;
}

const TEXT_VERSION_KEY = "library_text_version";

const ACTIVE_TOOLS_SQL = `
  SELECT t.name, v.version, v.description, v.schema, r.spec
  FROM tools t
  JOIN tool_versions v ON v.tool_name = t.name AND v.version = t.active_version
  LEFT JOIN forge_runs r ON r.id = v.forge_run_id`;

const ACTIVE_METHODS_SQL = `
  SELECT m.object_id, m.selector, v.version, v.description, r.spec
  FROM methods m
  JOIN method_versions v ON v.object_id = m.object_id AND v.selector = m.selector AND v.version = m.active_version
  LEFT JOIN forge_runs r ON r.id = v.forge_run_id`;

function toolEntry(row: ActiveToolRow): LibraryEntry {
  return {
    kind: "tool",
    name: row.name,
    objectId: null,
    version: row.version,
    description: row.description,
    schema: JSON.parse(row.schema) as JsonObject,
    spec: row.spec,
  };
}

function methodEntry(row: ActiveMethodRow): LibraryEntry {
  return {
    kind: "method",
    name: row.selector,
    objectId: row.object_id,
    version: row.version,
    description: row.description,
    schema: null,
    spec: row.spec,
  };
}

/** Writes (or replaces) the index row of one entry; the caller holds the transaction. */
function upsert(db: Database.Database, entry: LibraryEntry): void {
  const objectId = entry.objectId ?? "";
  const existing = db
    .prepare("SELECT id FROM library_docs WHERE kind = ? AND object_id = ? AND name = ?")
    .get(entry.kind, objectId, entry.name) as { id: number } | undefined;
  let id: number;
  if (existing) {
    id = existing.id;
    db.prepare("UPDATE library_docs SET version = ?, description = ? WHERE id = ?").run(entry.version, entry.description, id);
    db.prepare("DELETE FROM library_fts WHERE rowid = ?").run(id);
  } else {
    id = Number(
      db
        .prepare("INSERT INTO library_docs (kind, object_id, name, version, description) VALUES (?, ?, ?, ?, ?)")
        .run(entry.kind, objectId, entry.name, entry.version, entry.description).lastInsertRowid,
    );
  }
  const fields = libraryFields(entry);
  db.prepare("INSERT INTO library_fts (rowid, kind, name, description, args, spec) VALUES (?, ?, ?, ?, ?, ?)").run(
    id,
    entry.kind,
    fields.name,
    fields.description,
    fields.args,
    fields.spec,
  );
}

/** Re-indexes a tool from its active version (inside the install / rollback transaction). */
export function indexTool(db: Database.Database, name: string): void {
  const row = db.prepare(`${ACTIVE_TOOLS_SQL} WHERE t.name = ?`).get(name) as ActiveToolRow | undefined;
  if (!row) throw new Error(`internal: tool "${name}" has no active version to index`);
  upsert(db, toolEntry(row));
}

/** Re-indexes a method from its active version (inside the install / rollback transaction). */
export function indexMethod(db: Database.Database, objectId: string, selector: string): void {
  const row = db.prepare(`${ACTIVE_METHODS_SQL} WHERE m.object_id = ? AND m.selector = ?`).get(objectId, selector) as
    ActiveMethodRow | undefined;
  if (!row) throw new Error(`internal: method "${selector}" of "${objectId}" has no active version to index`);
  upsert(db, methodEntry(row));
}

/** Rows of the index that disagree with the active versions (missing, stale or left over). */
function disagreements(db: Database.Database): number {
  const { count } = db
    .prepare(
      `SELECT
         (SELECT COUNT(*) FROM tools t WHERE NOT EXISTS (
            SELECT 1 FROM library_docs d WHERE d.kind = 'tool' AND d.object_id = '' AND d.name = t.name AND d.version = t.active_version))
       + (SELECT COUNT(*) FROM methods m WHERE NOT EXISTS (
            SELECT 1 FROM library_docs d WHERE d.kind = 'method' AND d.object_id = m.object_id AND d.name = m.selector AND d.version = m.active_version))
       + ABS((SELECT COUNT(*) FROM library_docs) - (SELECT COUNT(*) FROM tools) - (SELECT COUNT(*) FROM methods))
       + ABS((SELECT COUNT(*) FROM library_docs) - (SELECT COUNT(*) FROM library_fts)) AS count`,
    )
    .get() as { count: number };
  return count;
}

/** Rebuilds the index when its terms are of another version or it disagrees with the active versions. */
export function ensureLibraryIndex(db: Database.Database): { rebuilt: boolean } {
  const run = db.transaction(() => {
    const stamp = db.prepare("SELECT value FROM meta WHERE key = ?").get(TEXT_VERSION_KEY) as { value: number } | undefined;
    if (stamp?.value === LIBRARY_TEXT_VERSION && disagreements(db) === 0) return { rebuilt: false };
    db.prepare("DELETE FROM library_fts").run();
    db.prepare("DELETE FROM library_docs").run();
    for (const row of db.prepare(ACTIVE_TOOLS_SQL).all() as ActiveToolRow[]) upsert(db, toolEntry(row));
    for (const row of db.prepare(ACTIVE_METHODS_SQL).all() as ActiveMethodRow[]) upsert(db, methodEntry(row));
    db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
      TEXT_VERSION_KEY,
      LIBRARY_TEXT_VERSION,
    );
    return { rebuilt: true };
  });
  return run.immediate();
}

interface HitRow {
  kind: "tool" | "method";
  object_id: string;
  name: string;
  version: number;
  description: string;
  score: number;
  f_name: string;
  f_description: string;
  f_args: string;
  f_spec: string;
}

const W = FIELD_WEIGHTS;
// The best rows first (rowid and rank only), then their documents: reading the text of every
// matching row before sorting costs more than the ranking itself in a large library.
const SEARCH_SQL = `
  WITH top AS (
    SELECT rowid AS id, bm25(library_fts, 0, ${W.name}, ${W.description}, ${W.args}, ${W.spec}) AS rank
    FROM library_fts WHERE library_fts MATCH @match
    ORDER BY rank LIMIT @limit)
  SELECT d.kind, d.object_id, d.name, d.version, d.description, -top.rank AS score,
         f.name AS f_name, f.description AS f_description, f.args AS f_args, f.spec AS f_spec
  FROM top JOIN library_docs d ON d.id = top.id JOIN library_fts f ON f.rowid = top.id
  ORDER BY top.rank, d.name`;

/** BM25 search over FTS5 (each search sees the index as of its own read). */
export class SqliteLibrarySearch implements LibrarySearchPart {
  constructor(private readonly db: Database.Database) {}

  search(query: string, options?: LibrarySearchOptions): LibraryHit[] {
    const { limit, kind } = checkSearchOptions(options);
    const wanted = queryTerms(query);
    if (wanted.length === 0) return [];
    // Terms are [a-z0-9]+; quoted, none of them can be read as FTS5 syntax (OR, NEAR, *).
    const anyTerm = wanted.map((term) => `"${term}"`).join(" OR ");
    const match = kind === null ? anyTerm : `kind : "${kind}" AND (${anyTerm})`;
    const rows = this.db.prepare(SEARCH_SQL).all({ match, limit }) as HitRow[];
    return rows.map((row) => {
      const fields: LibraryFields = { name: row.f_name, description: row.f_description, args: row.f_args, spec: row.f_spec };
      return {
        kind: row.kind,
        name: row.name,
        objectId: row.kind === "method" ? row.object_id : null,
        version: row.version,
        description: row.description,
        score: row.score,
        fields,
      };
    });
  }
}
