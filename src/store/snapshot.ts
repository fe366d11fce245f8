/**
 * Restoring a snapshot written by `Store.exportSnapshot`. Call it with no store open on the same
 * data (in any process); the archive command (`toolforge archive restore`) is its user.
 *  - SQLite: verified copies renamed over the live files with a roll-forward journal (see
 *    sqlite/restore.ts); the store is the old one or the restored one, never a mix.
 *  - ArangoDB: every collection emptied and refilled inside ONE stream transaction (see
 *    arango/restore.ts); on any error the transaction aborts and the old data stays.
 */
import type { Config } from "../config.js";
import { restoreSqliteSnapshot } from "./sqlite/restore.js";

export async function restoreStoreSnapshot(config: Pick<Config, "dataDir" | "arango">, snapshotDir: string): Promise<void> {
  if (config.arango === null) {
    restoreSqliteSnapshot(config.dataDir, snapshotDir);
    return;
  }
  const { restoreArangoSnapshot } = await import("./arango/restore.js");
  await restoreArangoSnapshot(config.arango, snapshotDir);
}
