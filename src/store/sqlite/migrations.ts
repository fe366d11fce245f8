/**
 * Versioned schema of the SQLite store. Each migration runs once, in order, inside the same
 * `BEGIN IMMEDIATE` transaction that records it in `schema_migrations`, so two processes opening a
 * fresh file at the same moment cannot both apply it. Append new migrations; never edit old ones.
 */
import type Database from "better-sqlite3";
import { StoreUnavailableError } from "../../errors.js";

interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "tools, objects, methods, forge records, messages, events, registry revision",
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      INSERT INTO meta (key, value) VALUES ('registry_revision', 0);

      CREATE TABLE forge_runs (
        id             TEXT PRIMARY KEY,
        kind           TEXT NOT NULL CHECK (kind IN ('tool', 'method')),
        spec           TEXT NOT NULL,
        target         TEXT,
        status         TEXT NOT NULL CHECK (status IN ('running', 'installed', 'failed', 'reused')),
        result_name    TEXT,
        result_version INTEGER,
        error          TEXT,
        started_at     TEXT NOT NULL,
        finished_at    TEXT
      );
      CREATE INDEX forge_runs_by_start ON forge_runs (started_at);

      CREATE TABLE forge_attempts (
        run_id  TEXT NOT NULL REFERENCES forge_runs (id) ON DELETE CASCADE,
        number  INTEGER NOT NULL,
        attempt TEXT NOT NULL, -- the whole ForgeAttempt as JSON
        PRIMARY KEY (run_id, number)
      );

      CREATE TABLE tools (
        name           TEXT PRIMARY KEY,
        active_version INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        FOREIGN KEY (name, active_version) REFERENCES tool_versions (tool_name, version)
          DEFERRABLE INITIALLY DEFERRED
      );

      CREATE TABLE tool_versions (
        tool_name    TEXT NOT NULL REFERENCES tools (name) DEFERRABLE INITIALLY DEFERRED,
        version      INTEGER NOT NULL CHECK (version >= 1),
        description  TEXT NOT NULL,
        schema       TEXT NOT NULL,
        source       TEXT NOT NULL,
        compiled     TEXT NOT NULL,
        sha256       TEXT NOT NULL,
        forge_run_id TEXT REFERENCES forge_runs (id),
        created_at   TEXT NOT NULL,
        PRIMARY KEY (tool_name, version)
      );

      CREATE TABLE objects (
        id         TEXT PRIMARY KEY,
        attributes TEXT NOT NULL,
        revision   INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE prototype_links (
        object_id    TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
        prototype_id TEXT NOT NULL REFERENCES objects (id),
        position     INTEGER NOT NULL,
        PRIMARY KEY (object_id, prototype_id),
        UNIQUE (object_id, position)
      );

      CREATE TABLE methods (
        object_id      TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
        selector       TEXT NOT NULL,
        active_version INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        PRIMARY KEY (object_id, selector),
        FOREIGN KEY (object_id, selector, active_version)
          REFERENCES method_versions (object_id, selector, version) DEFERRABLE INITIALLY DEFERRED
      );

      CREATE TABLE method_versions (
        object_id    TEXT NOT NULL,
        selector     TEXT NOT NULL,
        version      INTEGER NOT NULL CHECK (version >= 1),
        description  TEXT NOT NULL,
        source       TEXT NOT NULL,
        compiled     TEXT NOT NULL,
        sha256       TEXT NOT NULL,
        forge_run_id TEXT REFERENCES forge_runs (id),
        created_at   TEXT NOT NULL,
        PRIMARY KEY (object_id, selector, version),
        FOREIGN KEY (object_id, selector) REFERENCES methods (object_id, selector)
          ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
      );

      CREATE TABLE messages (
        id          TEXT PRIMARY KEY,
        target_id   TEXT NOT NULL, -- no foreign key: a message to an unknown object is recorded and fails
        selector    TEXT NOT NULL,
        args        TEXT NOT NULL,
        kwargs      TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        result      TEXT,
        error       TEXT,
        learned     INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT
      );

      CREATE TABLE events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        type       TEXT NOT NULL,
        payload    TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    `,
  },
  {
    version: 2,
    name: "owners with leases for messages and forge runs in flight; the root objects nil and system",
    sql: `
      CREATE TABLE owners (
        id               TEXT PRIMARY KEY,
        identity         TEXT NOT NULL, -- the process (util/process-identity.ts formatIdentity)
        started_at       TEXT NOT NULL,
        lease_expires_at INTEGER NOT NULL -- ms since the epoch
      );
      -- NULL: made before owners existed, or by a process that closed: nobody holds it.
      ALTER TABLE messages ADD COLUMN owner_id TEXT;
      ALTER TABLE forge_runs ADD COLUMN owner_id TEXT;
      CREATE INDEX messages_unfinished ON messages (status, owner_id) WHERE status IN ('pending', 'running');
      CREATE INDEX forge_runs_running ON forge_runs (status, owner_id) WHERE status = 'running';

      INSERT OR IGNORE INTO objects (id, attributes, revision, created_at, updated_at)
        VALUES ('nil', '{}', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
               ('system', '{}', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    `,
  },
  {
    version: 3,
    name: "library search: tool origin, library_docs and the FTS5 index library_fts",
    // The index is filled (and rebuilt when the terms change) by library.ts's ensureLibraryIndex.
    sql: `
      ALTER TABLE tool_versions ADD COLUMN origin TEXT NOT NULL DEFAULT 'forged'
        CHECK (origin IN ('forged', 'added', 'imported'));
      UPDATE tool_versions SET origin = 'imported' WHERE forge_run_id IS NULL;

      CREATE TABLE library_docs (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('tool', 'method')),
        object_id   TEXT NOT NULL DEFAULT '', -- '' for tools
        name        TEXT NOT NULL,            -- tool name or method selector
        version     INTEGER NOT NULL,
        description TEXT NOT NULL,
        UNIQUE (kind, object_id, name)
      );
      -- kind holds the word "tool" or "method" (weight 0 in BM25): a search for one kind is an FTS5 AND.
      CREATE VIRTUAL TABLE library_fts USING fts5(kind, name, description, args, spec, tokenize = 'unicode61');
    `,
  },
  {
    version: 4,
    name: "the hosts a tool version calls, and a person's grants of them",
    sql: `
      ALTER TABLE tool_versions ADD COLUMN hosts TEXT NOT NULL DEFAULT '[]';

      CREATE TABLE tool_grants (
        id                TEXT PRIMARY KEY,
        tool_name         TEXT NOT NULL,
        host              TEXT NOT NULL,
        version           INTEGER NOT NULL CHECK (version >= 1),
        only_this_version INTEGER NOT NULL CHECK (only_this_version IN (0, 1)),
        decision          TEXT NOT NULL CHECK (decision IN ('granted', 'denied')),
        credential_header TEXT,
        credential_value  TEXT,
        private_network   INTEGER NOT NULL DEFAULT 0 CHECK (private_network IN (0, 1)),
        created_at        TEXT NOT NULL,
        revoked_at        TEXT
      );
      CREATE INDEX tool_grants_by_tool ON tool_grants (tool_name, host);
    `,
  },
  {
    version: 5,
    name: "the library tools a tool version uses, each pinned to the version it was checked with",
    sql: `
      CREATE TABLE tool_uses (
        tool_name    TEXT NOT NULL,
        version      INTEGER NOT NULL,
        uses_name    TEXT NOT NULL,
        uses_version INTEGER NOT NULL,
        PRIMARY KEY (tool_name, version, uses_name),
        FOREIGN KEY (tool_name, version) REFERENCES tool_versions (tool_name, version),
        FOREIGN KEY (uses_name, uses_version) REFERENCES tool_versions (tool_name, version)
      );
      CREATE INDEX tool_uses_by_used ON tool_uses (uses_name, uses_version);
    `,
  },
];

/** Applies every migration the database lacks; returns the versions applied now (empty when none). */
export function migrate(db: Database.Database, file: string, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const run = db.transaction(() => {
    const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version));
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known) {
      throw new StoreUnavailableError(
        `${file} has schema version ${newest}, but this ToolForge knows versions up to ${known}`,
        "upgrade ToolForge, or point DATA_DIR at a data directory made by this version",
      );
    }
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
      done.push(migration.version);
    }
    return done;
  });
  return run.immediate();
}
