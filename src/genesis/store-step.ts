/**
 * Genesis for the store: opening it runs its migrations (versioned, idempotent), which also make
 * the root objects `nil` and `system`, so every way of starting (serve, the CLI, createToolForge)
 * has them, with or without genesis.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config.js";
import { openStore, ROOT_OBJECT_IDS } from "../store/index.js";
import { DATABASE_FILE } from "../store/sqlite/files.js";
import type { Store } from "../store/types.js";
import type { StepRecorder } from "./report.js";

/** Opens (and so migrates) the store; the caller closes it. */
export async function storeStep(config: Config, steps: StepRecorder): Promise<Store> {
  const file = path.join(config.dataDir, DATABASE_FILE);
  const existed = config.arango === null ? existsSync(file) : true;
  const store = await openStore(config);
  const roots = `root objects ${ROOT_OBJECT_IDS.join(" and ")}`;
  steps.add(
    "store",
    existed ? "exists" : "created",
    existed
      ? `${store.kind} store at ${store.location}, schema at the current version, with the ${roots}`
      : `new ${store.kind} store at ${store.location}, schema and ${roots} created`,
  );
  return store;
}
