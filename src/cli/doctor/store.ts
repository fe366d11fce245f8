/** The store: it opens (migrations run) and answers a read. */
import type { Config } from "../../config.js";
import { openStore } from "../../store/index.js";
import { failed, passed, type DoctorCheck } from "./types.js";

export async function checkStore(config: Config): Promise<DoctorCheck> {
  try {
    const store = await openStore(config);
    try {
      const revision = await store.registryRevision();
      const tools = (await store.listTools()).length;
      return passed("store", `${store.kind} at ${store.location} (${tools} tool${tools === 1 ? "" : "s"}, registry revision ${revision})`);
    } finally {
      await store.close();
    }
  } catch (error) {
    const hint = (error as { hint?: unknown }).hint;
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
    const fix =
      typeof hint === "string"
        ? hint
        : config.arango
          ? `check that ArangoDB answers at ${config.arango.url} with ARANGO_USER/ARANGO_PASS (e.g. \`docker compose up -d arangodb\`)`
          : `check that DATA_DIR (${config.dataDir}) is a writable directory`;
    return failed("store", message, fix);
  }
}
