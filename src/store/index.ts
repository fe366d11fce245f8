/**
 * The store's front door: `openStore(config)` gives the embedded SQLite store when ARANGO_URL is
 * not set, else the ArangoDB store; everything above talks to the `Store` interface only.
 * `restoreStoreSnapshot(config, dir)` replaces a (closed) store's data with a snapshot.
 */
import type { Config } from "../config.js";
import type { OpenStoreOptions } from "./options.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

export type * from "./types.js";
export type * from "./grant-types.js";
export type * from "./library-types.js";
export type { OpenStoreOptions } from "./options.js";
export { sha256Hex } from "./artifact.js";
export { ROOT_OBJECT_IDS } from "./root-objects.js";
export { restoreStoreSnapshot } from "./snapshot.js";

export async function openStore(config: Pick<Config, "dataDir" | "arango">, options: OpenStoreOptions = {}): Promise<Store> {
  if (config.arango === null) return SqliteStore.open(config.dataDir, options);
  // Loaded only in ArangoDB mode, so the embedded default never loads arangojs.
  const { ArangoStore } = await import("./arango/arango-store.js");
  return ArangoStore.open(config.arango, options);
}
