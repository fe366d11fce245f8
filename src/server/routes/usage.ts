/** A turn's usage as the HTTP faces answer it: OpenAI's `usage`, and the full breakdown in `toolforge.usage` and /chat. */
import type { UsageTotals } from "../../personas/usage.js";
import type { TurnUsage } from "../chat/types.js";

/** OpenAI's usage object: Ollama's counts summed over the turn. */
export function usageJson(usage: TurnUsage | undefined) {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The turn's usage in full: by persona and the forge, with calls and times (ms). */
export function turnUsageJson(usage: TurnUsage | undefined) {
  if (!usage) return null;
  const totals = (t: UsageTotals) => ({
    calls: t.calls,
    prompt_tokens: t.promptTokens,
    completion_tokens: t.completionTokens,
    model_ms: t.durationMs,
  });
  return {
    ...totals(usage),
    total_tokens: usage.totalTokens,
    elapsed_ms: usage.elapsedMs,
    first_answer_token_ms: usage.firstAnswerTokenMs,
    by: Object.fromEntries(Object.entries(usage.by).map(([who, t]) => [who, totals(t)])),
  };
}
