/**
 * The capability check behind start-up, `/healthz` and `toolforge doctor`: is Ollama reachable,
 * does every configured model exist — the four personas' and FORGE_MODEL — how much context does
 * each take, and can BRICK's model call tools? Every problem comes with the command that fixes it
 * (`ollama pull <tag>`, `ollama serve`, a tool-capable model).
 *
 * A BRICK model without Ollama's `tools` capability is not fatal: BRICK then answers without tools
 * and forging is off (see src/graph/nodes/brick.ts). It is reported as a problem that is not
 * essential (`essential: false`): the check fails, the server still serves.
 */
import type { Config } from "../config.js";
import { ModelUnavailableError } from "../errors.js";
import { contextWindow, networkReason, showModel, type ShowResult } from "./model-info.js";
import { pullHint, startOllamaHint, toolModelHint } from "./model.js";
import { PERSONA_ORDER, PERSONAS } from "./registry.js";
import type { ModelUser } from "./types.js";

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
  persona: ModelUser;
  /** BRICK, ROBIN, BABS, ALFRED, or "the forge". */
  title: string;
  model: string;
  /** The variable that sets this model (BRICK_MODEL, …, FORGE_MODEL). */
  variable: string;
  /** null: not checked (Ollama unreachable). */
  exists: boolean | null;
  /** null: unknown (not checked, or an Ollama too old to report capabilities). */
  supportsTools: boolean | null;
  toolsRequired: boolean;
  /** The model's maximum context (tokens), when Ollama says. */
  contextLength: number | null;
  /** The num_ctx its calls ask for: NUM_CTX, at most the maximum. */
  numCtx: number | null;
  ok: boolean;
  /** A failed check that stops the model from being used at all (false: it works, with less). */
  essential: boolean;
  /** What is wrong, when not ok. */
  problem: string | null;
  /** The command or setting that fixes it. */
  fix: string | null;
  /** Something worth knowing that does not fail the check. */
  note: string | null;
}

export interface PersonaModelReport {
  ollama: OllamaStatus;
  /** The four personas in speaking order, then the forge. */
  personas: PersonaModelCheck[];
  /** Ollama reachable and every model present and capable. */
  ok: boolean;
  /** Ollama reachable and every model present (a BRICK without tools still answers). */
  usable: boolean;
}

export interface CheckOptions {
  /** Per request, ms (default 5000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface ModelUse {
  persona: ModelUser;
  title: string;
  variable: string;
  requiresTools: boolean;
}

function uses(): ModelUse[] {
  return [
    ...PERSONA_ORDER.map((persona) => ({
      persona,
      title: PERSONAS[persona].title,
      variable: PERSONAS[persona].modelVariable,
      requiresTools: PERSONAS[persona].requiresTools,
    })),
    { persona: "forge" as const, title: "the forge", variable: "FORGE_MODEL", requiresTools: false },
  ];
}

/** Asks Ollama (`GET /api/version`, `POST /api/show` per distinct model) what each model can do. */
export async function checkPersonaModels(config: Config, options: CheckOptions = {}): Promise<PersonaModelReport> {
  const host = config.ollamaHost;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const ollama = await probeOllama(host, doFetch, timeoutMs);

  const shows = new Map<string, Promise<ShowResult>>();
  const show = (model: string) => {
    let pending = shows.get(model);
    if (!pending) {
      pending = showModel(host, model, { fetch: doFetch, timeoutMs });
      shows.set(model, pending);
    }
    return pending;
  };

  const personas = await Promise.all(
    uses().map(async (use): Promise<PersonaModelCheck> => {
      const model = config.models[use.persona];
      const base = {
        persona: use.persona,
        title: use.title,
        model,
        variable: use.variable,
        toolsRequired: use.requiresTools,
        contextLength: null,
        numCtx: null,
        essential: true,
        note: null,
      };
      if (!ollama.reachable) {
        return { ...base, exists: null, supportsTools: null, ok: false, problem: "not checked: Ollama is not reachable", fix: ollama.fix };
      }
      const result = await show(model);
      if (result.kind === "missing") {
        return {
          ...base,
          exists: false,
          supportsTools: null,
          ok: false,
          problem: `model "${model}" is not in Ollama`,
          fix: pullHint(model),
        };
      }
      if (result.kind === "error") {
        return {
          ...base,
          exists: null,
          supportsTools: null,
          ok: false,
          problem: `Ollama could not describe "${model}": ${result.error}`,
          fix: `check \`ollama show ${model}\``,
        };
      }
      const { facts } = result;
      const supportsTools = facts.capabilities ? facts.capabilities.includes("tools") : null;
      const found = { ...base, exists: true, supportsTools, contextLength: facts.contextLength, numCtx: contextWindow(config, facts) };
      if (use.requiresTools && supportsTools === false) {
        return {
          ...found,
          ok: false,
          essential: false,
          problem: `model "${model}" does not support tool calling, which ${use.title} needs: ${use.title} answers without tools and forging is off`,
          fix: toolModelHint(use.variable),
        };
      }
      return {
        ...found,
        ok: true,
        problem: null,
        fix: null,
        note:
          use.requiresTools && supportsTools === null
            ? "this Ollama does not report capabilities; tool support not verified (upgrade Ollama)"
            : null,
      };
    }),
  );
  return {
    ollama,
    personas,
    ok: ollama.reachable && personas.every((p) => p.ok),
    usable: ollama.reachable && personas.every((p) => p.ok || !p.essential),
  };
}

/** Throws ModelUnavailableError listing every failed essential check and its fix; returns the report otherwise. */
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
  const failed = report.personas.filter((p) => !p.ok && p.essential);
  if (failed.length === 0) return;
  const lines = failed.map(problemLine);
  const fixes = [...new Set(failed.map((p) => p.fix).filter((f): f is string => Boolean(f)))];
  throw new ModelUnavailableError(`persona models are not ready:\n  ${lines.join("\n  ")}`, fixes.join("\n  → "));
}

/** One line per problem of the report (empty when all is well), for logs and /healthz. */
export function describeProblems(report: PersonaModelReport): string[] {
  if (!report.ollama.reachable) return [`Ollama is not reachable at ${report.ollama.host}: ${report.ollama.error ?? "no answer"}`];
  return report.personas.filter((p) => !p.ok).map(problemLine);
}

/** A failed check as one line: who, which variable and model, and the problem. */
function problemLine(p: PersonaModelCheck): string {
  return `${titleCase(p.title)} (${p.variable}=${p.model}): ${p.problem}`;
}

function titleCase(title: string): string {
  return title.charAt(0).toUpperCase() + title.slice(1);
}

async function probeOllama(host: string, doFetch: typeof fetch, timeoutMs: number): Promise<OllamaStatus> {
  try {
    const response = await doFetch(`${host}/api/version`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      return {
        host,
        reachable: false,
        version: null,
        error: `HTTP ${response.status} from ${host}/api/version`,
        fix: `check that ${host} is an Ollama server (OLLAMA_HOST)`,
      };
    }
    const body = (await response.json()) as { version?: unknown };
    return { host, reachable: true, version: typeof body.version === "string" ? body.version : null, error: null, fix: null };
  } catch (error) {
    return { host, reachable: false, version: null, error: networkReason(error), fix: startOllamaHint(host) };
  }
}
