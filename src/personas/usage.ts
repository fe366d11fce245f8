/**
 * What a model call cost, from Ollama's own counts in the reply (ChatOllama puts the final
 * stream line in `response_metadata`): the prompt tokens it evaluated (`prompt_eval_count`, which
 * leaves out a prefix served from its cache), the tokens it generated (`eval_count`, thinking
 * included), and its durations. A turn's usage is the sum over its calls, by who made them.
 */
import type { BaseMessage } from "@langchain/core/messages";
import type { ModelUser } from "./types.js";

export interface ModelCallUsage {
  who: ModelUser;
  /** "answer": a persona's words or tool calls; "plan": a metacognition plan; "forge": writing a module. */
  kind: "answer" | "plan" | "forge";
  model: string;
  /** Prompt tokens Ollama evaluated (not served from its prompt cache). */
  promptTokens: number;
  /** Tokens generated, thinking included. */
  completionTokens: number;
  /** Ollama's total_duration, in ms. */
  durationMs: number;
  /** Ollama's load_duration, in ms (seconds when the model had to be loaded). */
  loadMs: number;
}

interface OllamaCounts {
  prompt_eval_count?: unknown;
  eval_count?: unknown;
  total_duration?: unknown;
  load_duration?: unknown;
}

const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0);
const ms = (ns: unknown) => Math.round(count(ns) / 1e4) / 100;

/** The usage of one reply; zeros where Ollama did not say (a supplied model, a stream cut short). */
export function callUsage(reply: BaseMessage, who: ModelUser, kind: ModelCallUsage["kind"], model: string): ModelCallUsage {
  const counts = (reply.response_metadata ?? {}) as OllamaCounts;
  return {
    who,
    kind,
    model,
    promptTokens: count(counts.prompt_eval_count),
    completionTokens: count(counts.eval_count),
    durationMs: ms(counts.total_duration),
    loadMs: ms(counts.load_duration),
  };
}

export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** The model's time (Ollama's durations), in ms. */
  durationMs: number;
}

export interface UsageSummary extends UsageTotals {
  totalTokens: number;
  /** By who made the calls: brick, robin, babs, alfred, forge (only those who called). */
  by: Partial<Record<ModelUser, UsageTotals>>;
}

export function summariseUsage(calls: readonly ModelCallUsage[]): UsageSummary {
  const empty = (): UsageTotals => ({ calls: 0, promptTokens: 0, completionTokens: 0, durationMs: 0 });
  const total = empty();
  const by: Partial<Record<ModelUser, UsageTotals>> = {};
  for (const call of calls) {
    for (const sum of [total, (by[call.who] ??= empty())]) {
      sum.calls++;
      sum.promptTokens += call.promptTokens;
      sum.completionTokens += call.completionTokens;
      sum.durationMs = Math.round((sum.durationMs + call.durationMs) * 100) / 100;
    }
  }
  return { ...total, totalTokens: total.promptTokens + total.completionTokens, by };
}
