/**
 * Ollama's `think` for one model call, from the setting (BRICK_THINK, …, FORGE_THINK) and what
 * Ollama says the model can do. `think` goes only to a model whose /api/show lists the `thinking`
 * capability: Ollama refuses `think: true` for any other model with 400 ("… does not support
 * thinking"), and a thinking model thinks unless told `think: false` — so a setting of `off` must
 * be sent to stop it. With no facts (a supplied model, Ollama unreachable, an Ollama too old to
 * report capabilities), nothing is sent.
 */
import type { ThinkSetting } from "../config.js";
import type { ModelFacts } from "./model-info.js";

export type ThinkParam = boolean | "low" | "medium" | "high";

/**
 * The `think` to send, or undefined for none. `deciding`: the call chooses what to do (a new
 * question, after a forge or a failed tool) rather than reporting tool results; only the
 * `decisions` setting looks at it.
 */
export function thinkParam(setting: ThinkSetting, facts: ModelFacts | null, deciding = true): ThinkParam | undefined {
  if (!facts?.capabilities?.includes("thinking")) return undefined;
  switch (setting) {
    case "on":
      return true;
    case "off":
      return false;
    case "decisions":
      return deciding;
    default:
      return setting;
  }
}
