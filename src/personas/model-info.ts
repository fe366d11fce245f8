/**
 * What Ollama says about a model (`POST /api/show`): whether it exists, its capabilities
 * (`completion`, `tools`, `thinking`, …) and its maximum context (`model_info["<arch>.context_length"]`,
 * the architecture from `general.architecture`). The capability check reads it once per check;
 * the graph keeps the answers in a `ModelFactsCache` so a persona's call knows how much context
 * to ask for (`num_ctx`) and whether tools may be bound.
 */
import type { Config } from "../config.js";

export interface ModelFacts {
  model: string;
  /** null: an Ollama too old to report capabilities. */
  capabilities: string[] | null;
  /** The model's maximum context in tokens; null when Ollama does not say. */
  contextLength: number | null;
  architecture: string | null;
}

export type ShowResult = { kind: "found"; facts: ModelFacts } | { kind: "missing" } | { kind: "error"; error: string };

export interface ShowOptions {
  /** Per request, ms (default 5000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Asks Ollama at `host` about `model`. Never throws: a failure is `{kind: "error"}`. */
export async function showModel(host: string, model: string, options: ShowOptions = {}): Promise<ShowResult> {
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(`${host}/api/show`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
    if (response.status === 404) return { kind: "missing" };
    if (!response.ok) return { kind: "error", error: `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}` };
    return { kind: "found", facts: factsOf(model, (await response.json()) as ShowBody) };
  } catch (error) {
    return { kind: "error", error: networkReason(error) };
  }
}

interface ShowBody {
  capabilities?: unknown;
  model_info?: Record<string, unknown>;
  details?: { family?: unknown };
}

function factsOf(model: string, body: ShowBody): ModelFacts {
  const info = body.model_info ?? {};
  const architecture =
    typeof info["general.architecture"] === "string"
      ? info["general.architecture"]
      : typeof body.details?.family === "string"
        ? body.details.family
        : null;
  let contextLength: number | null = null;
  const exact = architecture ? info[`${architecture}.context_length`] : undefined;
  if (typeof exact === "number" && exact > 0) contextLength = exact;
  else {
    // Some architectures' keys differ from the family name: take any "<x>.context_length".
    const any = Object.entries(info).find(([key, value]) => key.endsWith(".context_length") && typeof value === "number" && value > 0);
    if (any) contextLength = any[1] as number;
  }
  return {
    model,
    capabilities: Array.isArray(body.capabilities) ? body.capabilities.map(String) : null,
    contextLength,
    architecture,
  };
}

/** The context window to ask for: the setting (NUM_CTX), at most the model's maximum. */
export function contextWindow(config: Pick<Config, "numCtx">, facts: ModelFacts | null): number {
  return facts?.contextLength ? Math.min(config.numCtx, facts.contextLength) : config.numCtx;
}

/** Whether Ollama says the model cannot call tools (false when it does not say). */
export function lacksTools(facts: ModelFacts | null): boolean {
  return Boolean(facts?.capabilities && !facts.capabilities.includes("tools"));
}

/**
 * /api/show answers per model, kept for a while: a found model for `ttlMs` (default 60 s), a failed
 * lookup for 5 s (so a down Ollama is not asked on every call, and a pull is seen soon).
 */
export class ModelFactsCache {
  private readonly entries = new Map<string, { at: number; ttl: number; facts: Promise<ModelFacts | null> }>();

  constructor(
    private readonly host: string,
    private readonly options: ShowOptions & { ttlMs?: number } = {},
  ) {}

  /** The model's facts, or null when they cannot be had now (Ollama down, model missing, old Ollama). */
  get(model: string): Promise<ModelFacts | null> {
    const cached = this.entries.get(model);
    if (cached && Date.now() - cached.at < cached.ttl) return cached.facts;
    const entry = { at: Date.now(), ttl: 5_000, facts: Promise.resolve<ModelFacts | null>(null) };
    entry.facts = showModel(this.host, model, { timeoutMs: 2_500, ...this.options }).then((result) => {
      if (result.kind !== "found") return null;
      entry.ttl = this.options.ttlMs ?? 60_000;
      return result.facts;
    });
    this.entries.set(model, entry);
    return entry.facts;
  }

  /** Ollama refused tools for the model: remember it, whatever /api/show said. */
  markWithoutTools(model: string): void {
    const known = this.entries.get(model);
    const facts = (known?.facts ?? Promise.resolve(null)).then((f): ModelFacts => ({
      ...(f ?? { model, contextLength: null, architecture: null }),
      capabilities: (f?.capabilities ?? ["completion"]).filter((c) => c !== "tools"),
    }));
    this.entries.set(model, { at: Date.now(), ttl: this.options.ttlMs ?? 60_000, facts });
  }
}

export function networkReason(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${(error.cause as Error & { code?: string }).code ?? error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
