/** A person's grants of the hosts tools call, in SQLite: each answer one row and one event, in one transaction. */
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { checkHost, checkNewToolGrant, grantEvent } from "../artifact.js";
import { checkToolName } from "../ids.js";
import type { GrantsPart } from "../parts.js";
import type { NewToolGrant, ToolGrant } from "../grant-types.js";
import { insertEvent } from "./registry.js";

interface GrantRow {
  id: string;
  tool_name: string;
  host: string;
  version: number;
  only_this_version: number;
  decision: "granted" | "denied";
  credential_header: string | null;
  private_network: number;
  created_at: string;
  revoked_at: string | null;
}

const COLUMNS = "id, tool_name, host, version, only_this_version, decision, credential_header, private_network, created_at, revoked_at";

function toGrant(r: GrantRow): ToolGrant {
  return {
    id: r.id,
    toolName: r.tool_name,
    host: r.host,
    version: r.version,
    onlyThisVersion: r.only_this_version === 1,
    decision: r.decision,
    credentialHeader: r.credential_header,
    privateNetwork: r.private_network === 1,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

export class SqliteGrants implements GrantsPart {
  constructor(private readonly db: Database.Database) {}

  record(input: NewToolGrant): ToolGrant {
    const checked = checkNewToolGrant(input);
    const write = this.db.transaction(() => {
      const id = randomUUID();
      const at = new Date().toISOString();
      this.db
        .prepare(
          `INSERT INTO tool_grants (id, tool_name, host, version, only_this_version, decision, credential_header, credential_value, private_network, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          checked.toolName,
          checked.host,
          checked.version,
          checked.onlyThisVersion ? 1 : 0,
          checked.decision,
          checked.credential?.header ?? null,
          checked.credential?.value ?? null,
          checked.privateNetwork ? 1 : 0,
          at,
        );
      const event = grantEvent(checked);
      insertEvent(this.db, event.type, event.payload, at);
      return toGrant(this.db.prepare(`SELECT ${COLUMNS} FROM tool_grants WHERE id = ?`).get(id) as GrantRow);
    });
    return write.immediate();
  }

  revoke(toolName: string, host: string): number {
    checkToolName(toolName);
    checkHost(host, `revoking for tool "${toolName}"`);
    const write = this.db.transaction(() => {
      const at = new Date().toISOString();
      const { changes } = this.db
        .prepare("UPDATE tool_grants SET revoked_at = ? WHERE tool_name = ? AND host = ? AND revoked_at IS NULL")
        .run(at, toolName, host);
      if (changes > 0) insertEvent(this.db, "tool.revoked", { name: toolName, host, answers: changes }, at);
      return changes;
    });
    return write.immediate();
  }

  list(toolName: string): ToolGrant[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM tool_grants WHERE tool_name = ? ORDER BY created_at, rowid`)
      .all(toolName) as GrantRow[];
    return rows.map(toGrant);
  }

  credential(grantId: string): { header: string; value: string } | null {
    const row = this.db.prepare("SELECT credential_header, credential_value FROM tool_grants WHERE id = ?").get(grantId) as
      { credential_header: string | null; credential_value: string | null } | undefined;
    return row?.credential_header && row.credential_value ? { header: row.credential_header, value: row.credential_value } : null;
  }
}
