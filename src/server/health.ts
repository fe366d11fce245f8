/**
 * GET /healthz's checks: each component (store, sandbox, Ollama) answers ok or not with a detail
 * and, when not ok, a hint. A check that hangs is cut off; slow checks are cached briefly so that a
 * load balancer polling /healthz does not start a container every second.
 */
import { errorMessage } from "../errors.js";

export interface ComponentStatus {
  ok: boolean;
  detail: string;
  hint?: string;
}

export interface HealthReport {
  /** "ok" when every component is ok; "degraded" otherwise (the server still serves). */
  status: "ok" | "degraded";
  checks: Record<string, ComponentStatus>;
}

export type HealthProbe = () => Promise<ComponentStatus>;

export interface HealthOptions {
  /** Longest wait for one probe (default 3 s). */
  timeoutMs?: number;
  /** How long a probe's answer is reused (default 5 s). */
  cacheMs?: number;
}

export function createHealthCheck(probes: Record<string, HealthProbe>, options: HealthOptions = {}): () => Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const cacheMs = options.cacheMs ?? 5_000;
  const cache = new Map<string, { at: number; status: Promise<ComponentStatus> }>();

  const probe = (name: string, run: HealthProbe): Promise<ComponentStatus> => {
    const cached = cache.get(name);
    if (cached && Date.now() - cached.at < cacheMs) return cached.status;
    const status = withTimeout(run, timeoutMs);
    cache.set(name, { at: Date.now(), status });
    return status;
  };

  return async () => {
    const names = Object.keys(probes);
    const results = await Promise.all(names.map((name) => probe(name, probes[name] as HealthProbe)));
    const checks: Record<string, ComponentStatus> = {};
    names.forEach((name, i) => {
      checks[name] = results[i] as ComponentStatus;
    });
    return { status: results.every((r) => r.ok) ? "ok" : "degraded", checks };
  };
}

async function withTimeout(run: HealthProbe, timeoutMs: number): Promise<ComponentStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentStatus>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([run().catch((error: unknown) => failed(error)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function failed(error: unknown): ComponentStatus {
  const message = errorMessage(error);
  const hint = (error as { hint?: unknown }).hint;
  const [first] = message.split("\n");
  return typeof hint === "string" ? { ok: false, detail: first ?? message, hint } : { ok: false, detail: first ?? message };
}

/** Probe: Ollama answers /api/version. */
export function ollamaProbe(ollamaHost: string): HealthProbe {
  return async () => {
    try {
      const response = await fetch(`${ollamaHost}/api/version`, { signal: AbortSignal.timeout(2_500) });
      if (!response.ok) return { ok: false, detail: `Ollama at ${ollamaHost} answered HTTP ${response.status}` };
      const body = (await response.json()) as { version?: string };
      return { ok: true, detail: `Ollama ${body.version ?? "(unknown version)"} at ${ollamaHost}` };
    } catch (error) {
      return {
        ok: false,
        detail: `Ollama is not reachable at ${ollamaHost}: ${describeFetchError(error)}`,
        hint: "start it with `ollama serve`, or point OLLAMA_HOST at a running Ollama",
      };
    }
  };
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === "string") return cause.code;
  return errorMessage(error);
}
