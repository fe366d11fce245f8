/**
 * The ChatOllama factory shared by the personas: one place that decides how a persona's model is
 * reached (config.ollamaHost) and turns Ollama's failures into errors a user can act on.
 */
import { STATUS_CODES } from "node:http";
import { ChatOllama } from "@langchain/ollama";
import { DEFAULT_MODEL, type Config, type PersonaName } from "../config.js";
import {
  ModelMissingError,
  ModelReplyError,
  ModelUnavailableError,
  ModelWithoutToolsError,
  OllamaServerError,
  OllamaUnreachableError,
} from "../errors.js";
import { PERSONAS } from "./registry.js";
import type { ThinkParam } from "./thinking.js";

export interface PersonaModelOptions {
  /** Ollama model tag; default: the persona's model from the configuration. */
  model?: string;
  /** Ollama base URL; default: config.ollamaHost. */
  baseUrl?: string;
  /** The context window to ask for (Ollama's num_ctx); default: config.numCtx. */
  numCtx?: number;
  /** Ollama's think (see ./thinking.ts); not sent when undefined. */
  think?: ThinkParam;
  /** The most tokens the reply may take (Ollama's num_predict); no limit when undefined. */
  numPredict?: number;
  /** Sampling temperature; the model's own default when undefined. */
  temperature?: number;
}

/**
 * A ChatOllama for the persona (or the forge), talking to config.ollamaHost, with an explicit
 * num_ctx and, when set, think, num_predict and keep_alive (MODEL_KEEP_ALIVE).
 */
export function createPersonaModel(
  config: Pick<Config, "ollamaHost" | "models" | "numCtx"> & Partial<Pick<Config, "keepAlive">>,
  persona: PersonaName | "forge",
  options: PersonaModelOptions = {},
): ChatOllama {
  return new ChatOllama({
    baseUrl: options.baseUrl ?? config.ollamaHost,
    model: options.model ?? config.models[persona],
    numCtx: options.numCtx ?? config.numCtx,
    // ChatOllama types think as a boolean; Ollama also takes a level ("low", "medium", "high") and gets it as given.
    ...(options.think !== undefined ? { think: options.think as boolean } : {}),
    ...(options.numPredict !== undefined ? { numPredict: options.numPredict } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(config.keepAlive !== undefined ? { keepAlive: config.keepAlive } : {}),
  });
}

/** How to start Ollama, phrased for the host we were told to use. */
export function startOllamaHint(host: string): string {
  return `start Ollama with \`ollama serve\` (or set OLLAMA_HOST to where it listens; now ${host})`;
}

export function pullHint(model: string): string {
  return `ollama pull ${model}`;
}

/** How to get a model that can call tools, for BRICK_MODEL (or another variable). */
export function toolModelHint(variable = "BRICK_MODEL"): string {
  return `\`${pullHint(DEFAULT_MODEL)}\`, then set ${variable}=${DEFAULT_MODEL} (or another model with the "tools" capability)`;
}

/** Socket and stream failures after Ollama accepted the connection: the reply was cut, Ollama is up. */
const INTERRUPTED =
  /Did not receive done|\bterminated\b|other side closed|ECONNRESET|socket hang up|UND_ERR_SOCKET|EPIPE|premature close|runner process|unexpected EOF|an error was encountered while running the model/i;
/** Failures to connect at all: nothing answers at the host. */
const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|bad port|fetch failed/i;
/** Socket error codes of a connection that could not be made (Node puts them on the error's cause). */
const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Who was asking and where: for the message. Without a persona, the failure is told without it. */
export interface ModelErrorContext {
  persona?: PersonaName | "forge" | undefined;
  model?: string | undefined;
  host: string;
}

/**
 * THE classification of a model call's failure, for every caller (the personas, the forge, the
 * HTTP faces): an error a user can act on, told apart —
 * - OllamaUnreachableError: nothing answers at OLLAMA_HOST (start it with `ollama serve`);
 * - ModelMissingError: the model is not pulled (`ollama pull <tag>`);
 * - ModelWithoutToolsError: Ollama refused tools for the model;
 * - OllamaServerError: Ollama answered the request with HTTP 5xx (its error text said, and where
 *   to look: `ollama ps`, Ollama's log);
 * - ModelReplyError "interrupted": Ollama was reached but the stream ended before it was done
 *   (the connection broke, the runner crashed, an error line mid-stream).
 * Other errors are returned unchanged (a connection refused by another host than Ollama's too).
 */
export function explainModelError(error: unknown, context: ModelErrorContext): unknown {
  if (error instanceof ModelUnavailableError || error instanceof ModelReplyError) return error;
  const text = describe(error);
  const who = context.persona === undefined ? null : context.persona === "forge" ? "the forge" : PERSONAS[context.persona].title;
  const variable =
    context.persona === undefined ? "BRICK_MODEL" : context.persona === "forge" ? "FORGE_MODEL" : PERSONAS[context.persona].modelVariable;
  const named = context.model ?? /model ["']?([^"'\s]+)["']? not found/i.exec(text)?.[1] ?? "the model";
  const quoted = context.model ?? named;
  const ofWho = who ? ` (${who})` : "";
  if (/does not support tools/i.test(text)) {
    return new ModelWithoutToolsError(`model "${quoted}"${ofWho} does not support tool calling in Ollama`, toolModelHint(variable), error);
  }
  if (/not found/i.test(text) && /model/i.test(text)) {
    return new ModelMissingError(
      `model "${quoted}"${ofWho} is not available in Ollama at ${context.host}`,
      `run \`${pullHint(quoted)}\`${who ? `, or choose another model for ${who}` : ""}`,
      error,
    );
  }
  const answered = httpStatusOf(error);
  if (answered !== null && answered.status >= 500) {
    const status = `${answered.status}${STATUS_CODES[answered.status] ? ` ${STATUS_CODES[answered.status]}` : ""}`;
    const model = context.model === undefined ? "" : ` for model "${context.model}"${ofWho}`;
    return new OllamaServerError(
      answered.status,
      `Ollama at ${context.host} answered ${status}${model}: ${answered.text || "(no error text)"}`,
      "check `ollama ps` and Ollama's log (the terminal running `ollama serve`, or `journalctl -u ollama`): a model that does not fit in memory is the usual cause; free memory or choose a smaller model, then ask again",
      error,
    );
  }
  if (INTERRUPTED.test(text) && !refusedConnection(error)) {
    return new ModelReplyError(
      "interrupted",
      `the reply of model "${quoted}"${ofWho} was cut off: Ollama at ${context.host} was reached, but its stream ended before the answer was done (${firstLine(text)})`,
      "Ollama may have run out of memory or restarted the model: check `ollama ps` and Ollama's log, then ask again",
      error,
    );
  }
  if (UNREACHABLE.test(text) && reachesHost(error, context.host)) {
    const needed = who ? ` (needed by ${who}, model ${quoted})` : "";
    return new OllamaUnreachableError(`Ollama is not reachable at ${context.host}${needed}`, startOllamaHint(context.host), error);
  }
  return error;
}

/**
 * The HTTP status Ollama answered with and its error text, when the error (or a cause) is the
 * Ollama client's ResponseError (`status_code`); null otherwise.
 */
function httpStatusOf(error: unknown): { status: number; text: string } | null {
  for (const link of causes(error)) {
    const { name, status_code: status, message } = link as { name?: unknown; status_code?: unknown; message?: unknown };
    if (name === "ResponseError" && typeof status === "number") {
      return { status, text: typeof message === "string" ? (message.split("\n")[0] ?? "").trim().slice(0, 300) : "" };
    }
  }
  return null;
}

/** Whether a connection failure in the error's causes names another port than Ollama's (then it is not Ollama's). */
function reachesHost(error: unknown, host: string): boolean {
  const url = new URL(host);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  for (const link of causes(error)) {
    const { code, port: failedPort } = link as { code?: unknown; port?: unknown };
    if (typeof code === "string" && CONNECT_CODES.has(code) && failedPort !== undefined && String(failedPort) !== port) return false;
  }
  return true;
}

/** A connection that was never made: not a reply cut off (ECONNRESET during connect is still "unreachable"). */
function refusedConnection(error: unknown): boolean {
  return causes(error).some((link) => CONNECT_CODES.has(String((link as { code?: unknown }).code)));
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    if (current instanceof AggregateError) chain.push(...current.errors);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function firstLine(text: string): string {
  return (text.split(" | ").filter(Boolean).slice(0, 2).join(": ").split("\n")[0] ?? "").slice(0, 200);
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
