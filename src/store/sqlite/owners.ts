/**
 * This open's owner row in SQLite (see store/ownership.ts): registered at open, its lease renewed
 * on a timer, removed at close; and the recovery of dead owners' work, in one IMMEDIATE
 * transaction so that two processes recovering at once cannot both take the same message.
 * Leases are judged by this machine's clock: the file is shared by processes of one machine.
 */
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { Diagnostics } from "../../diagnostics.js";
import { formatIdentity, currentProcess } from "../../util/process-identity.js";
import { INTERRUPTED_FORGE_RUN, INTERRUPTED_MESSAGE, judgeOwners, renewEvery, type OwnerLease } from "../ownership.js";
import type { OwnerPart } from "../parts.js";
import type { MessageRecord, RecoveredWork } from "../types.js";
import { toMessageRecord, type MessageRow } from "./rows.js";

/** Rows nobody alive holds: no owner, or an owner that is not in `live` (a JSON array of ids). */
const ORPHANED = "(owner_id IS NULL OR owner_id NOT IN (SELECT value FROM json_each(@live)))";

export class SqliteOwner implements OwnerPart {
  readonly id = randomUUID();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Database.Database,
    private readonly leaseMs: number,
    diagnostics: Diagnostics,
  ) {
    this.renew();
    this.timer = renewEvery(this.id, leaseMs, () => this.renew(), diagnostics);
  }

  /** Inserts the row, or extends its lease (re-inserting it if a recovery removed it meanwhile). */
  renew(): void {
    this.db
      .prepare(
        `INSERT INTO owners (id, identity, started_at, lease_expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET lease_expires_at = excluded.lease_expires_at`,
      )
      .run(this.id, formatIdentity(currentProcess()), new Date().toISOString(), Date.now() + this.leaseMs);
  }

  /** Stops renewing and removes the row: whatever this owner still held is left for recovery. */
  release(): void {
    clearInterval(this.timer);
    this.db.prepare("DELETE FROM owners WHERE id = ?").run(this.id);
  }

  recover(): RecoveredWork {
    return this.db
      .transaction((): RecoveredWork => {
        const now = Date.now();
        const owners = (
          this.db.prepare("SELECT id, identity, lease_expires_at FROM owners").all() as {
            id: string;
            identity: string;
            lease_expires_at: number;
          }[]
        ).map((row): OwnerLease => ({ id: row.id, identity: row.identity, expired: row.lease_expires_at < now }));
        const { dead, live: liveIds } = judgeOwners(owners, this.id);
        const live = JSON.stringify(liveIds);
        const at = new Date(now).toISOString();
        const requeued = this.db
          .prepare(`UPDATE messages SET owner_id = @self WHERE status = 'pending' AND ${ORPHANED} RETURNING id`)
          .all({ self: this.id, live }) as { id: string }[];
        const interruptedMessages = this.db
          .prepare(
            `UPDATE messages SET status = 'failed', error = @error, finished_at = @at WHERE status = 'running' AND ${ORPHANED} RETURNING id`,
          )
          .all({ error: INTERRUPTED_MESSAGE, at, live }) as { id: string }[];
        const interruptedForgeRuns = this.db
          .prepare(
            `UPDATE forge_runs SET status = 'failed', error = @error, finished_at = @at WHERE status = 'running' AND ${ORPHANED} RETURNING id`,
          )
          .all({ error: INTERRUPTED_FORGE_RUN, at, live }) as { id: string }[];
        const remove = this.db.prepare("DELETE FROM owners WHERE id = ?");
        for (const id of dead) remove.run(id);
        return {
          requeued: this.messagesInOrder(requeued.map((r) => r.id)),
          interruptedMessages: interruptedMessages.map((r) => r.id),
          interruptedForgeRuns: interruptedForgeRuns.map((r) => r.id),
        };
      })
      .immediate();
  }

  /** The messages with these ids, oldest first. */
  private messagesInOrder(ids: string[]): MessageRecord[] {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare("SELECT * FROM messages WHERE id IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid")
      .all(JSON.stringify(ids)) as MessageRow[];
    return rows.map(toMessageRecord);
  }
}
