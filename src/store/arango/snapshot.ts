/**
 * ArangoDB snapshots: one JSONL file per collection (one document per line, without `_id`/`_rev`).
 * Export reads every collection in ONE AQL query, and an AQL query reads from one consistent
 * snapshot of the database, so the files agree with each other. (The whole store travels through
 * one response: fine for ToolForge's sizes; a very large store would need a dump tool instead.)
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Database } from "arangojs";
import { aql, join } from "arangojs/aql";
import { InvalidInputError, errorMessage } from "../../errors.js";
import { writeManifest } from "../snapshot-manifest.js";
import { SNAPSHOT_COLLECTIONS, type CollectionName } from "./collections.js";
import { queryOne, noTransaction } from "./transaction.js";

export type SnapshotDocument = Record<string, unknown> & { _key: string };

export const snapshotFileName = (collection: CollectionName) => `${collection}.jsonl`;

export async function exportArangoSnapshot(db: Database, dir: string): Promise<string[]> {
  const parts = SNAPSHOT_COLLECTIONS.map(
    (name) => aql`[${name}]: (FOR d IN ${db.collection(name)} SORT d._key RETURN UNSET(d, "_id", "_rev"))`,
  );
  const all = await queryOne<Record<CollectionName, SnapshotDocument[]>>(db, noTransaction, aql`RETURN { ${join(parts, ", ")} }`);
  if (!all) throw new Error("internal: the snapshot query returned nothing");
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const name of SNAPSHOT_COLLECTIONS) {
    const file = snapshotFileName(name);
    writeFileSync(path.join(dir, file), all[name].map((doc) => JSON.stringify(doc) + "\n").join(""));
    files.push(file);
  }
  return writeManifest(dir, "arango", files);
}

/** Reads one collection's JSONL file; refuses a line that is not a document with a `_key`. */
export function readSnapshotFile(dir: string, collection: CollectionName): SnapshotDocument[] {
  const file = path.join(dir, snapshotFileName(collection));
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
  return lines.map((line, index) => {
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (error) {
      throw new InvalidInputError(
        `${file} line ${index + 1} is not JSON (${errorMessage(error)})`,
        "the snapshot is damaged; use another archive",
      );
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc) || typeof (doc as { _key?: unknown })._key !== "string") {
      throw new InvalidInputError(
        `${file} line ${index + 1} is not a document with a _key`,
        "the snapshot is damaged; use another archive",
      );
    }
    return doc as SnapshotDocument;
  });
}
