/** Tools and their versions in SQLite: install and rollback are each one IMMEDIATE transaction. */
import type Database from "better-sqlite3";
import { InvalidInputError, NotFoundError } from "../../errors.js";
import { checkNewToolVersion } from "../artifact.js";
import { checkToolName, checkVersion } from "../ids.js";
import type { OpenStoreOptions } from "../options.js";
import type { ToolsPart } from "../parts.js";
import { pickRollbackTarget } from "../rollback.js";
import type { NewToolVersion, ToolDependent, ToolSummary, ToolVersion } from "../types.js";
import { indexTool } from "./library.js";
import { assertForgeRunExists } from "./records.js";
import { bumpRegistryRevision, insertEvent } from "./registry.js";
import { TOOL_VERSION_COLUMNS, toToolSummary, toToolVersion, type ToolSummaryRow, type ToolVersionRow } from "./rows.js";
import { runBeforeCommit } from "./before-commit.js";

const SUMMARY_SQL = `
  SELECT t.name, t.active_version, t.updated_at, v.description, v.schema, v.origin, v.hosts,
         (SELECT json_group_array(json_object('name', u.uses_name, 'version', u.uses_version))
            FROM tool_uses u WHERE u.tool_name = v.tool_name AND u.version = v.version) AS uses,
         (SELECT COUNT(*) FROM tool_versions c WHERE c.tool_name = t.name) AS version_count
  FROM tools t JOIN tool_versions v ON v.tool_name = t.name AND v.version = t.active_version`;

const VERSION_SQL = `SELECT ${TOOL_VERSION_COLUMNS} FROM tool_versions v JOIN tools t ON t.name = v.tool_name`;

export class SqliteTools implements ToolsPart {
  constructor(
    private readonly db: Database.Database,
    private readonly beforeCommit: OpenStoreOptions["beforeCommit"],
  ) {}

  install(input: NewToolVersion): ToolVersion {
    const checked = checkNewToolVersion(input);
    const install = this.db.transaction(() => {
      const name = checked.toolName;
      assertForgeRunExists(this.db, checked.forgeRunId, `tool "${name}"`);
      const at = new Date().toISOString();
      const { next } = this.db.prepare("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM tool_versions WHERE tool_name = ?").get(name) as {
        next: number;
      };
      this.db
        .prepare(
          `INSERT INTO tool_versions (tool_name, version, description, schema, source, compiled, sha256, forge_run_id, origin, hosts, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          name,
          next,
          checked.description,
          JSON.stringify(checked.schema),
          checked.source,
          checked.compiled,
          checked.sha256.toLowerCase(),
          checked.forgeRunId,
          checked.origin,
          JSON.stringify(checked.hosts),
          at,
        );
      for (const pin of checked.uses) {
        if (!this.db.prepare("SELECT 1 FROM tool_versions WHERE tool_name = ? AND version = ?").get(pin.name, pin.version)) {
          throw new InvalidInputError(
            `tool "${name}" uses ${pin.name} v${pin.version}, which the library does not hold`,
            "pin only versions that are installed (admission resolves them)",
          );
        }
        this.db
          .prepare("INSERT INTO tool_uses (tool_name, version, uses_name, uses_version) VALUES (?, ?, ?, ?)")
          .run(name, next, pin.name, pin.version);
      }
      this.db
        .prepare(
          `INSERT INTO tools (name, active_version, created_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET active_version = excluded.active_version, updated_at = excluded.updated_at`,
        )
        .run(name, next, at, at);
      indexTool(this.db, name);
      const revision = bumpRegistryRevision(this.db);
      insertEvent(
        this.db,
        "tool.installed",
        { name, version: next, sha256: checked.sha256.toLowerCase(), origin: checked.origin, revision },
        at,
      );
      runBeforeCommit(this.beforeCommit, "installToolVersion");
      return this.requireVersion(name, next);
    });
    return install.immediate();
  }

  rollback(name: string, version?: number): ToolVersion {
    checkToolName(name);
    if (version !== undefined) checkVersion(version);
    const rollback = this.db.transaction(() => {
      const tool = this.db.prepare("SELECT active_version FROM tools WHERE name = ?").get(name) as { active_version: number } | undefined;
      if (!tool) throw new NotFoundError(`no tool named "${name}"`, "list the tools to see what exists");
      const versions = (this.db.prepare("SELECT version FROM tool_versions WHERE tool_name = ?").all(name) as { version: number }[]).map(
        (r) => r.version,
      );
      const target = pickRollbackTarget(`tool "${name}"`, versions, tool.active_version, version);
      const at = new Date().toISOString();
      this.db.prepare("UPDATE tools SET active_version = ?, updated_at = ? WHERE name = ?").run(target, at, name);
      indexTool(this.db, name);
      const revision = bumpRegistryRevision(this.db);
      insertEvent(this.db, "tool.rolled_back", { name, version: target, from: tool.active_version, revision }, at);
      runBeforeCommit(this.beforeCommit, "rollbackTool");
      return this.requireVersion(name, target);
    });
    return rollback.immediate();
  }

  get(name: string): ToolSummary | null {
    const row = this.db.prepare(`${SUMMARY_SQL} WHERE t.name = ?`).get(name) as ToolSummaryRow | undefined;
    return row ? toToolSummary(row) : null;
  }

  list(): ToolSummary[] {
    return (this.db.prepare(`${SUMMARY_SQL} ORDER BY t.name`).all() as ToolSummaryRow[]).map(toToolSummary);
  }

  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS count FROM tools").get() as { count: number }).count;
  }

  activeVersions(): ToolVersion[] {
    const rows = this.db.prepare(`${VERSION_SQL} WHERE v.version = t.active_version ORDER BY v.tool_name`).all() as ToolVersionRow[];
    return rows.map(toToolVersion);
  }

  listVersions(name: string): ToolVersion[] {
    const rows = this.db.prepare(`${VERSION_SQL} WHERE v.tool_name = ? ORDER BY v.version`).all(name) as ToolVersionRow[];
    return rows.map(toToolVersion);
  }

  dependents(name: string): ToolDependent[] {
    checkToolName(name);
    return this.db
      .prepare(
        `SELECT u.tool_name AS name, u.version, u.uses_version AS pinned
         FROM tool_uses u JOIN tools t ON t.name = u.tool_name AND t.active_version = u.version
         WHERE u.uses_name = ? ORDER BY u.tool_name`,
      )
      .all(name) as ToolDependent[];
  }

  version(name: string, version: number): ToolVersion | null {
    const row = this.db.prepare(`${VERSION_SQL} WHERE v.tool_name = ? AND v.version = ?`).get(name, version) as ToolVersionRow | undefined;
    return row ? toToolVersion(row) : null;
  }

  private requireVersion(name: string, version: number): ToolVersion {
    const found = this.version(name, version);
    if (!found) throw new Error(`internal: tool "${name}" version ${version} vanished inside its own transaction`);
    return found;
  }
}
