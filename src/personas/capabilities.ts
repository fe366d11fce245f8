/**
 * The capability check behind start-up and `toolforge doctor`: is Ollama reachable, does each
 * persona's model exist, and does BRICK's model support tool calling? Every problem comes with the
 * command that fixes it (`ollama pull <tag>`, `ollama serve`, a tool-capable model).
 */
import type { Config, PersonaName } from "../config.js";
import { ModelUnavailableError } from "../errors.js";
import { pullHint, startOllamaHint } from "./model.js";
import { PERSONA_ORDER, PERSONAS } from "./registry.js";

export interface OllamaStatus {
  host: string;
  reachable: boolean;
  /** Ollama's version when reachable. */
  version: string | null;
  /** Why it is not reachable. */
  error: string | null;
  /** What to do about it. */
  fix: string | null;
}

export interface PersonaModelCheck {
  persona: PersonaName;
  model: string;
  /** The variable that sets this model (BRICK_MODEL, …). */
  variable: string;
  /** null: not checked (Ollama unreachable). */
  exists: boolean | null;
  /** null: unknown (not checked, or an Ollama too old to report capabilities). */
  supportsTools: boolean | null;
  toolsRequired: boolean;
  ok: boolean;
  /** What is wrong, when not ok. */
  problem: string | null;
  /** The command or setting that fixes it. */
  fix: string | null;
  /** Something worth knowing that does not fail the check. */
  note: string | null;
}

export interface PersonaModelReport {
  ollama: OllamaStatus;
  personas: PersonaModelCheck[];
  /** Ollama reachable and every persona's model present and capable. */
  ok: boolean;
}

export interface CheckOptions {
  /** Per request, ms (default 5000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Asks Ollama (`GET /api/version`, `POST /api/show` per model) what each persona needs. */
export async function checkPersonaModels(config: Config, options: CheckOptions = {}): Promise<PersonaModelReport> {
  const host = config.ollamaHost;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const ollama = await probeOllama(host, doFetch, timeoutMs);

  const shows = new Map<string, Promise<ShowResult>>();
  const show = (model: string) => {
    let pending = shows.get(model);
    if (!pending) {
      pending = showModel(host, model, doFetch, timeoutMs);
      shows.set(model, pending);
    }
    return pending;
  };

  const personas = await Promise.all(
    PERSONA_ORDER.map(async (persona): Promise<PersonaModelCheck> => {
      const definition = PERSONAS[persona];
      const model = config.models[persona];
      const base = {
        persona,
        model,
        variable: definition.modelVariable,
        toolsRequired: definition.requiresTools,
        note: null,
      };
      if (!ollama.reachable) {
        return { ...base, exists: null, supportsTools: null, ok: false, problem: "not checked: Ollama is not reachable", fix: ollama.fix };
      }
      const result = await show(model);
      if (result.kind === "missing") {
        return { ...base, exists: false, supportsTools: null, ok: false, problem: `model "${model}" is not in Ollama`, fix: pullHint(model) };
      }
      if (result.kind === "error") {
        return { ...base, exists: null, supportsTools: null, ok: false, problem: `Ollama could not describe "${model}": ${result.error}`, fix: `check \`ollama show ${model}\`` };
      }
      const supportsTools = result.capabilities ? result.capabilities.includes("tools") : null;
      if (definition.requiresTools && supportsTools === false) {
        return {
          ...base,
          exists: true,
          supportsTools,
          ok: false,
          problem: `model "${model}" does not support tool calling, which ${definition.title} needs`,
          fix: `set ${definition.modelVariable} to a tool-capable model, e.g. ${definition.modelVariable}=llama3.1:8b (then \`${pullHint("llama3.1:8b")}\`)`,
        };
      }
      return {
        ...base,
        exists: true,
        supportsTools,
        ok: true,
        problem: null,
        fix: null,
        note:
          definition.requiresTools && supportsTools === null
            ? "this Ollama does not report capabilities; tool support not verified (upgrade Ollama)"
            : null,
      };
    }),
  );
  return { ollama, personas, ok: ollama.reachable && personas.every((p) => p.ok) };
}

/** Throws ModelUnavailableError listing every failed check and its fix; returns the report when all pass. */
export async function requirePersonaModels(config: Config, options: CheckOptions = {}): Promise<PersonaModelReport> {
  const report = await checkPersonaModels(config, options);
  assertPersonaModels(report);
  return report;
}

/** Throws ModelUnavailableError when the report has a failed essential check. */
export function assertPersonaModels(report: PersonaModelReport): void {
  if (!report.ollama.reachable) {
    throw new ModelUnavailableError(
      `Ollama is not reachable at ${report.ollama.host}: ${report.ollama.error ?? "no answer"}`,
      report.ollama.fix ?? startOllamaHint(report.ollama.host),
    );
  }
  const failed = report.personas.filter((p) => !p.ok);
  if (failed.length === 0) return;
  const lines = failed.map((p) => `${PERSONAS[p.persona].title} (${p.variable}=${p.model}): ${p.problem}`);
  const fixes = [...new Set(failed.map((p) => p.fix).filter((f): f is string => Boolean(f)))];
  throw new ModelUnavailableError(`persona models are not ready:\n  ${lines.join("\n  ")}`, fixes.join("\n  → "));
}

async function probeOllama(host: string, doFetch: typeof fetch, timeoutMs: number): Promise<OllamaStatus> {
  try {
    const response = await doFetch(`${host}/api/version`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      return { host, reachable: false, version: null, error: `HTTP ${response.status} from ${host}/api/version`, fix: `check that ${host} is an Ollama server (OLLAMA_HOST)` };
    }
    const body = (await response.json()) as { version?: unknown };
    return { host, reachable: true, version: typeof body.version === "string" ? body.version : null, error: null, fix: null };
  } catch (error) {
    return { host, reachable: false, version: null, error: networkReason(error), fix: startOllamaHint(host) };
  }
}

type ShowResult =
  | { kind: "found"; capabilities: string[] | null }
  | { kind: "missing" }
  | { kind: "error"; error: string };

async function showModel(host: string, model: string, doFetch: typeof fetch, timeoutMs: number): Promise<ShowResult> {
  try {
    const response = await doFetch(`${host}/api/show`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status === 404) return { kind: "missing" };
    if (!response.ok) return { kind: "error", error: `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}` };
    const body = (await response.json()) as { capabilities?: unknown };
    const capabilities = Array.isArray(body.capabilities) ? body.capabilities.map(String) : null;
    return { kind: "found", capabilities };
  } catch (error) {
    return { kind: "error", error: networkReason(error) };
  }
}

function networkReason(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${(error.cause as Error & { code?: string }).code ?? error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
