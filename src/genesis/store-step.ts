/**
 * Genesis for the store: opening it runs its migrations (versioned, idempotent), then the root
 * objects `system` and `nil` are created when missing.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config.js";
import { openStore } from "../store/index.js";
import { DATABASE_FILE } from "../store/sqlite/files.js";
import type { NewObject, Store } from "../store/types.js";
import type { StepRecorder } from "./report.js";

export const ROOT_OBJECTS: NewObject[] = [
  { id: "nil", attributes: {}, prototypes: [] },
  { id: "system", attributes: {}, prototypes: [] },
];

/** Opens (and so migrates) the store; the caller closes it. */
export async function storeStep(config: Config, steps: StepRecorder): Promise<Store> {
  const file = path.join(config.dataDir, DATABASE_FILE);
  const existed = config.arango === null ? existsSync(file) : true;
  const store = await openStore(config);
  steps.add(
    "store",
    existed ? "exists" : "created",
    existed ? `${store.kind} store at ${store.location}, schema at the current version` : `new ${store.kind} store at ${store.location}, schema created`,
  );
  return store;
}

export async function rootObjectsStep(store: Store, steps: StepRecorder): Promise<void> {
  for (const root of ROOT_OBJECTS) {
    if (await store.getObject(root.id)) {
      steps.add(`object ${root.id}`, "exists", "already in the store");
      continue;
    }
    await store.ensureObject(root);
    steps.add(`object ${root.id}`, "created", "root object created");
  }
}
