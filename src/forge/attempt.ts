/**
 * One attempt of the forge loop: ask the model, extract the module from its reply, have it
 * admitted (checked in the sandbox, the host's rules) and installed. The result says what became
 * of it, as a value:
 *   - `installed`: the module is in the library (its announcement waits until the attempt is recorded);
 *   - `failed`: the module's fault (or a reply cut off mid-stream): the next attempt gets the feedback;
 *   - `stopped`: not the module's fault (Ollama down, the sandbox or the store failed, the run
 *     was aborted): the run ends and `error` is thrown to the caller.
 * Every outcome carries the record of the attempt for the store.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { CheckedModule, ModuleCheck } from "../admission/index.js";
import { ModelReplyError, ModelUnavailableError, errorMessage } from "../errors.js";
import { explainModelError } from "../personas/model.js";
import { callUsage, type ModelCallUsage } from "../personas/usage.js";
import type { ForgeStage } from "../store/types.js";
import { extractModule } from "./extract.js";
import { replyText, type AttemptFeedback } from "./prompt.js";

/** What one attempt produced, as it is recorded. */
export interface AttemptRecord {
  stage: ForgeStage;
  outcome: "passed" | "failed";
  failure: string | null;
  reply: string;
  code: string;
  check: ModuleCheck | null;
  durations: Partial<Record<ForgeStage, number>>;
}

/** An install, with the event that announces it (published after the attempt is recorded). */
export interface InstallDone {
  name: string;
  version: number;
  announce(): void;
}

/** One flavour of the loop (a tool, a method): how to prompt, check, admit and install. */
export interface Flavour {
  messages(previous: AttemptFeedback | undefined): BaseMessage[];
  /** `signal`: the run's, so that a cancelled run also stops its sandbox job. */
  check(code: string, signal: AbortSignal | undefined): Promise<ModuleCheck>;
  /** Installs a checked module, or refuses it with the failure fed back (the host's rules). */
  install(module: CheckedModule): Promise<InstallDone | { refused: string }>;
}

export type AttemptOutcome =
  | { kind: "installed"; record: AttemptRecord; installed: InstallDone }
  | { kind: "failed"; record: AttemptRecord; feedback: AttemptFeedback | null }
  | { kind: "stopped"; record: AttemptRecord; reason: string; error: unknown };

export interface AttemptContext {
  number: number;
  previous: AttemptFeedback | undefined;
  flavour: Flavour;
  model: BaseChatModel;
  /** For messages: the forge model's name and Ollama's address. */
  modelName: string;
  host: string;
  signal: AbortSignal | undefined;
  /** Where the model call's usage goes. */
  usage: ModelCallUsage[];
}

export async function runAttempt(context: AttemptContext): Promise<AttemptOutcome> {
  const { flavour, signal } = context;
  const durations: Partial<Record<ForgeStage, number>> = {};
  const record = (fields: Omit<AttemptRecord, "durations">): AttemptRecord => ({ ...fields, durations });
  const stopped = (fields: Omit<AttemptRecord, "durations" | "outcome">, reason: string, error: unknown): AttemptOutcome => ({
    kind: "stopped",
    record: record({ ...fields, outcome: "failed" }),
    reason,
    error,
  });

  let reply: string;
  const modelStart = performance.now();
  try {
    const message = await context.model.invoke(context.flavour.messages(context.previous), signal ? { signal } : {});
    context.usage.push(callUsage(message, "forge", "forge", context.modelName));
    reply = replyText(message.content);
    // ChatOllama ends an aborted stream quietly, returning the partial reply: treat it as aborted.
    if (signal?.aborted) throw signal.reason;
  } catch (error) {
    durations.model = performance.now() - modelStart;
    const empty = { stage: "model" as const, reply: "", code: "", check: null };
    if (signal?.aborted)
      return stopped(
        { ...empty, failure: "aborted while waiting for the model" },
        "aborted while waiting for the model",
        signal.reason ?? error,
      );
    const explained = explainModelError(error, { persona: "forge", model: context.modelName, host: context.host });
    const failure = `the forge model failed: ${errorMessage(explained)}`;
    // A reply cut off mid-stream (Ollama up, the stream ended early) costs this attempt, not the run.
    if (explained instanceof ModelReplyError)
      return { kind: "failed", record: record({ ...empty, outcome: "failed", failure }), feedback: null };
    const unavailable =
      explained instanceof ModelUnavailableError
        ? explained
        : new ModelUnavailableError(
            `the forge model ${context.modelName} at ${context.host} did not answer: ${errorMessage(error)}`,
            `start Ollama (ollama serve) and pull the model (ollama pull ${context.modelName}), or set FORGE_MODEL / OLLAMA_HOST`,
            error,
          );
    return stopped({ ...empty, failure }, failure, unavailable);
  }
  durations.model = performance.now() - modelStart;

  const extractStart = performance.now();
  const extracted = extractModule(reply);
  durations.extract = performance.now() - extractStart;
  if (!extracted.ok) {
    const failed = record({ stage: "extract", outcome: "failed", failure: extracted.failure, reply, code: "", check: null });
    return { kind: "failed", record: failed, feedback: feedbackOf(context.number, failed) };
  }
  const code = extracted.code;

  let check: ModuleCheck;
  const checkStart = performance.now();
  try {
    check = await flavour.check(code, signal);
  } catch (error) {
    // The checks could not run (sandbox down, compiler crashed): not the model's fault.
    durations.sandbox = performance.now() - checkStart;
    const failure = `validation could not run: ${errorMessage(error)}`;
    return stopped({ stage: "sandbox", failure, reply, code, check: null }, failure, error);
  }
  Object.assign(durations, check.durations);
  if (signal?.aborted) {
    const failure = "aborted before install";
    return stopped({ stage: check.ok ? "install" : check.stage, failure, reply, code: check.code, check }, failure, signal.reason);
  }
  if (!check.ok) {
    const failed = record({ stage: check.stage, outcome: "failed", failure: check.failure, reply, code: check.code, check });
    return { kind: "failed", record: failed, feedback: feedbackOf(context.number, failed) };
  }

  const installStart = performance.now();
  let installed: InstallDone | { refused: string };
  try {
    installed = await flavour.install(check.module);
  } catch (error) {
    // A store failure is not the model's fault: record it and stop, with the store's error.
    durations.install = performance.now() - installStart;
    const failure = `install failed: ${errorMessage(error)}`;
    return stopped({ stage: "install", failure, reply, code: check.code, check }, failure, error);
  }
  durations.install = performance.now() - installStart;
  if ("refused" in installed) {
    const failed = record({ stage: "install", outcome: "failed", failure: installed.refused, reply, code: check.code, check });
    return { kind: "failed", record: failed, feedback: feedbackOf(context.number, failed) };
  }
  return {
    kind: "installed",
    record: record({ stage: "install", outcome: "passed", failure: null, reply, code: check.code, check }),
    installed,
  };
}

function feedbackOf(attempt: number, failed: AttemptRecord): AttemptFeedback {
  return {
    attempt,
    stage: failed.stage,
    code: failed.code,
    reply: failed.reply,
    failure: failed.failure ?? "failed",
    findings: failed.check?.findings ?? [],
  };
}
