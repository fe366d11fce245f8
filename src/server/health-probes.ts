/** /healthz probes for the runtime's parts (Ollama's is in health.ts). */
import type { Config } from "../config.js";
import { checkSandbox } from "../sandbox/index.js";
import type { Store } from "../store/types.js";
import type { HealthProbe } from "./health.js";

/** The store answers a cheap read. */
export function storeProbe(store: Store): HealthProbe {
  return async () => {
    const revision = await store.registryRevision();
    return { ok: true, detail: `${store.kind} at ${store.location}, registry revision ${revision}` };
  };
}

/** The sandbox's preflight: Docker answers, the runtime is registered, the image is there (or buildable). */
export function sandboxProbe(config: Config): HealthProbe {
  return async () => {
    const checks = await checkSandbox(config);
    const failing = [checks.docker, checks.runtime, checks.image].find((check) => !check.ok);
    if (failing) return { ok: false, detail: failing.detail, ...(failing.fix ? { hint: failing.fix } : {}) };
    return { ok: true, detail: `${checks.docker.detail}; ${checks.runtime.detail}; ${checks.image.detail}` };
  };
}
