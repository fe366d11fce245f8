/** Forge runs with their attempts, messages, and the append-only event log in SQLite. */
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { InvalidInputError } from "../../errors.js";
import { checkEventType, checkLimit, checkRunStillRunning, missingForgeRun, missingMessage, unknownForgeRun } from "../record-input.js";
import { checkMessageHeld } from "../ownership.js";
import type { RecordsPart } from "../parts.js";
import type {
  EventQuery,
  ForgeAttempt,
  ForgeRun,
  ForgeRunOutcome,
  ForgeRunQuery,
  JsonObject,
  MessagePatch,
  MessageRecord,
  NewForgeRun,
  NewMessage,
  StoredEvent,
} from "../types.js";
import { insertEvent } from "./registry.js";
import { toForgeRun, toMessageRecord, toStoredEvent, type EventRow, type ForgeRunRow, type MessageRow } from "./rows.js";

/** Refuses a version that names a forge run the store does not have (inside the caller's transaction). */
export function assertForgeRunExists(db: Database.Database, forgeRunId: string | null, what: string): void {
  if (forgeRunId === null) return;
  if (db.prepare("SELECT 1 FROM forge_runs WHERE id = ?").get(forgeRunId) === undefined) throw unknownForgeRun(what, forgeRunId);
}

export class SqliteRecords implements RecordsPart {
  constructor(
    private readonly db: Database.Database,
    /** The owner (store/ownership.ts) of the messages and forge runs this store creates. */
    private readonly ownerId: string,
  ) {}

  createForgeRun(input: NewForgeRun): ForgeRun {
    const id = randomUUID();
    this.db
      .prepare("INSERT INTO forge_runs (id, kind, spec, target, status, started_at, owner_id) VALUES (?, ?, ?, ?, 'running', ?, ?)")
      .run(id, input.kind, input.spec, input.target, new Date().toISOString(), this.ownerId);
    return this.requireRun(id);
  }

  addForgeAttempt(runId: string, attempt: ForgeAttempt): void {
    this.db
      .transaction(() => {
        if (!this.runRow(runId)) throw missingForgeRun(runId);
        const exists = this.db.prepare("SELECT 1 FROM forge_attempts WHERE run_id = ? AND number = ?").get(runId, attempt.number);
        if (exists)
          throw new InvalidInputError(`forge run "${runId}" already has attempt ${attempt.number}`, "number attempts 1, 2, 3, … once each");
        this.db
          .prepare("INSERT INTO forge_attempts (run_id, number, attempt) VALUES (?, ?, ?)")
          .run(runId, attempt.number, JSON.stringify(attempt));
      })
      .immediate();
  }

  finishForgeRun(runId: string, outcome: ForgeRunOutcome): ForgeRun {
    return this.db
      .transaction(() => {
        const row = this.runRow(runId);
        if (!row) throw missingForgeRun(runId);
        checkRunStillRunning(row);
        this.db
          .prepare("UPDATE forge_runs SET status = ?, result_name = ?, result_version = ?, error = ?, finished_at = ? WHERE id = ?")
          .run(
            outcome.status,
            outcome.result?.name ?? null,
            outcome.result?.version ?? null,
            outcome.error ?? null,
            new Date().toISOString(),
            runId,
          );
        return this.requireRun(runId);
      })
      .immediate();
  }

  getForgeRun(id: string): ForgeRun | null {
    const row = this.runRow(id);
    return row ? toForgeRun(row, this.attempts(id)) : null;
  }

  listForgeRuns(options: ForgeRunQuery = {}): ForgeRun[] {
    const limit = checkLimit(options.limit);
    const rows = (
      options.status
        ? this.db
            .prepare("SELECT * FROM forge_runs WHERE status = ? ORDER BY started_at DESC, rowid DESC LIMIT ?")
            .all(options.status, limit)
        : this.db.prepare("SELECT * FROM forge_runs ORDER BY started_at DESC, rowid DESC LIMIT ?").all(limit)
    ) as ForgeRunRow[];
    return rows.map((row) => toForgeRun(row, this.attempts(row.id)));
  }

  createMessage(input: NewMessage): MessageRecord {
    const id = randomUUID();
    this.db
      .prepare(
        "INSERT INTO messages (id, target_id, selector, args, kwargs, status, created_at, owner_id) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
      )
      .run(
        id,
        input.targetId,
        input.selector,
        JSON.stringify(input.args),
        JSON.stringify(input.kwargs),
        new Date().toISOString(),
        this.ownerId,
      );
    return this.requireMessage(id);
  }

  updateMessage(id: string, patch: MessagePatch): MessageRecord {
    const columns: Record<keyof MessagePatch, string> = {
      status: "status",
      result: "result",
      error: "error",
      learned: "learned",
      startedAt: "started_at",
      finishedAt: "finished_at",
    };
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    for (const key of Object.keys(columns) as (keyof MessagePatch)[]) {
      const value = patch[key];
      if (value === undefined) continue;
      sets.push(`${columns[key]} = ?`);
      values.push(
        key === "result" ? (value === null ? null : JSON.stringify(value)) : key === "learned" ? (value ? 1 : 0) : (value as string | null),
      );
    }
    return this.db
      .transaction(() => {
        const held = this.db.prepare("SELECT status, owner_id FROM messages WHERE id = ?").get(id) as
          { status: MessageRecord["status"]; owner_id: string | null } | undefined;
        if (!held) throw missingMessage(id);
        checkMessageHeld(id, { status: held.status, ownerId: held.owner_id }, this.ownerId, patch);
        if (sets.length > 0) this.db.prepare(`UPDATE messages SET ${sets.join(", ")} WHERE id = ?`).run(...values, id);
        return this.requireMessage(id);
      })
      .immediate();
  }

  getMessage(id: string): MessageRecord | null {
    const row = this.db.prepare("SELECT * FROM messages WHERE id = ?").get(id) as MessageRow | undefined;
    return row ? toMessageRecord(row) : null;
  }

  appendEvent(type: string, payload: JsonObject): StoredEvent {
    return insertEvent(this.db, checkEventType(type), payload, new Date().toISOString());
  }

  listEvents(options: EventQuery = {}): StoredEvent[] {
    const rows = this.db
      .prepare("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
      .all(options.afterSeq ?? 0, checkLimit(options.limit)) as EventRow[];
    return rows.map(toStoredEvent);
  }

  private runRow(id: string): ForgeRunRow | undefined {
    return this.db.prepare("SELECT * FROM forge_runs WHERE id = ?").get(id) as ForgeRunRow | undefined;
  }

  private attempts(runId: string): ForgeAttempt[] {
    const rows = this.db.prepare("SELECT attempt FROM forge_attempts WHERE run_id = ? ORDER BY number").all(runId) as { attempt: string }[];
    return rows.map((r) => JSON.parse(r.attempt) as ForgeAttempt);
  }

  private requireRun(id: string): ForgeRun {
    const run = this.getForgeRun(id);
    if (!run) throw missingForgeRun(id);
    return run;
  }

  private requireMessage(id: string): MessageRecord {
    const message = this.getMessage(id);
    if (!message) throw missingMessage(id);
    return message;
  }
}
