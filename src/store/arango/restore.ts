/**
 * Restoring an ArangoDB snapshot: every JSONL file is read and checked first; then ONE stream
 * transaction empties every collection of the store and inserts the snapshot's documents. If
 * anything fails the transaction aborts and the old data stays, so the store is never half
 * restored. Stream transactions are bounded by the server's limits (by default 128 MiB of writes,
 * `--transaction.streaming-max-transaction-size`), which ToolForge's stores stay well below.
 */
import { aql } from "arangojs/aql";
import { readManifest } from "../snapshot-manifest.js";
import { SNAPSHOT_COLLECTIONS, type CollectionName } from "./collections.js";
import { connectDatabase } from "./connect.js";
import { rethrowArangoFailure, type ArangoSettings } from "./errors.js";
import { migrateArango } from "./schema.js";
import { readSnapshotFile, snapshotFileName, type SnapshotDocument } from "./snapshot.js";
import { inTransaction, queryAll } from "./transaction.js";
import { InvalidInputError } from "../../errors.js";

export async function restoreArangoSnapshot(settings: ArangoSettings, snapshotDir: string): Promise<void> {
  const manifest = readManifest(snapshotDir, "arango");
  const contents = new Map<CollectionName, SnapshotDocument[]>();
  for (const name of SNAPSHOT_COLLECTIONS) {
    if (!manifest.files.includes(snapshotFileName(name))) {
      throw new InvalidInputError(
        `snapshot ${snapshotDir} has no ${snapshotFileName(name)}`,
        "use a complete snapshot written by exportSnapshot",
      );
    }
    contents.set(name, readSnapshotFile(snapshotDir, name));
  }
  const db = await connectDatabase(settings);
  try {
    await migrateArango(db, `${settings.url} database ${settings.database}`);
    await inTransaction(db, { exclusive: [...SNAPSHOT_COLLECTIONS] }, async (step) => {
      for (const name of SNAPSHOT_COLLECTIONS) {
        const collection = db.collection(name);
        await queryAll(db, step, aql`FOR d IN ${collection} REMOVE d IN ${collection}`);
        const docs = contents.get(name) ?? [];
        if (docs.length > 0) await queryAll(db, step, aql`FOR d IN ${docs} INSERT d INTO ${collection}`);
      }
    });
  } catch (error) {
    rethrowArangoFailure(error, settings);
  } finally {
    db.close();
  }
}
