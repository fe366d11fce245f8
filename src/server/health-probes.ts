/** /healthz probes for the runtime's parts (Ollama's is in health.ts). */
import type { Config } from "../config.js";
import { checkPersonaModels, describeProblems } from "../personas/capabilities.js";
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

/**
 * Every configured model (the four personas' and FORGE_MODEL): present in Ollama, and BRICK's able
 * to call tools. The detail names each model with its context window, or each problem; the hint is
 * the first fix.
 */
export function modelsProbe(config: Config): HealthProbe {
  return async () => {
    const report = await checkPersonaModels(config, { timeoutMs: 2_500 });
    if (report.ok) {
      const models = report.personas.map((p) => `${p.persona} ${p.model}${p.numCtx ? ` (num_ctx ${p.numCtx})` : ""}`);
      return { ok: true, detail: models.join("; ") };
    }
    const fix = report.ollama.reachable ? report.personas.find((p) => !p.ok && p.fix)?.fix : report.ollama.fix;
    return { ok: false, detail: describeProblems(report).join("; "), ...(fix ? { hint: fix } : {}) };
  };
}
