/** The registry revision counter and the append-only event log, written inside callers' transactions. */
import type Database from "better-sqlite3";
import type { JsonObject, StoredEvent } from "../types.js";
import { toStoredEvent, type EventRow } from "./rows.js";

export function readRegistryRevision(db: Database.Database): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'registry_revision'").get() as { value: number };
  return row.value;
}

export function bumpRegistryRevision(db: Database.Database): number {
  const row = db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'registry_revision' RETURNING value").get() as { value: number };
  return row.value;
}

export function insertEvent(db: Database.Database, type: string, payload: JsonObject, at: string): StoredEvent {
  const row = db
    .prepare("INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?) RETURNING seq, type, payload, created_at")
    .get(type, JSON.stringify(payload), at) as EventRow;
  return toStoredEvent(row);
}
