/**
 * The ChatOllama factory shared by the personas: one place that decides how a persona's model is
 * reached (config.ollamaHost) and turns Ollama's failures into errors a user can act on.
 */
import { ChatOllama } from "@langchain/ollama";
import type { Config, PersonaName } from "../config.js";
import { ModelUnavailableError } from "../errors.js";
import { PERSONAS } from "./registry.js";

export interface PersonaModelOptions {
  /** Ollama model tag; default: the persona's model from the configuration. */
  model?: string;
  /** Ollama base URL; default: config.ollamaHost. */
  baseUrl?: string;
}

/** The model tag the configuration gives the persona (BRICK_MODEL, …). */
export function personaModelName(config: Config, persona: PersonaName): string {
  return config.models[persona];
}

/** A ChatOllama for the persona, talking to config.ollamaHost. */
export function createPersonaModel(config: Config, persona: PersonaName, options: PersonaModelOptions = {}): ChatOllama {
  return new ChatOllama({
    baseUrl: options.baseUrl ?? config.ollamaHost,
    model: options.model ?? personaModelName(config, persona),
  });
}

/** How to start Ollama, phrased for the host we were told to use. */
export function startOllamaHint(host: string): string {
  return `start Ollama with \`ollama serve\` (or set OLLAMA_HOST to where it listens; now ${host})`;
}

export function pullHint(model: string): string {
  return `ollama pull ${model}`;
}

/**
 * Turns an error from a model call into a ModelUnavailableError when it means that Ollama is not
 * reachable, the model is missing, or the model cannot use tools; returns other errors unchanged.
 */
export function explainModelError(
  error: unknown,
  context: { persona: PersonaName | "forge"; model: string; host: string },
): unknown {
  if (error instanceof ModelUnavailableError) return error;
  const text = describe(error);
  const title = context.persona === "forge" ? "the forge" : PERSONAS[context.persona].title;
  const variable = context.persona === "forge" ? "FORGE_MODEL" : PERSONAS[context.persona].modelVariable;
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up|EHOSTUNREACH/i.test(text)) {
    return new ModelUnavailableError(
      `Ollama is not reachable at ${context.host} (needed by ${title}, model ${context.model})`,
      startOllamaHint(context.host),
      error,
    );
  }
  if (/not found/i.test(text) && /model/i.test(text)) {
    return new ModelUnavailableError(
      `model "${context.model}" (${title}) is not available in Ollama at ${context.host}`,
      `run \`${pullHint(context.model)}\`, or choose another model for ${title}`,
      error,
    );
  }
  if (/does not support tools/i.test(text)) {
    return new ModelUnavailableError(
      `model "${context.model}" (${title}) does not support tool calling in Ollama`,
      `set ${variable} to a model with the "tools" capability, e.g. llama3.1:8b or qwen2.5:7b`,
      error,
    );
  }
  return error;
}

/** The error's message with its causes, for matching the network codes Node puts in `cause`. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, (current as { code?: string }).code ?? "");
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" | ");
}
