/**
 * The custom stream events the graph writes through LangGraph's `config.writer` (stream mode
 * "custom"): the forge's progress for the forge run this graph started (the bus events of that
 * run, unchanged), each tool call and its result, guard hits, metacognition plans, and what the
 * graph did about a model's drift: a reply retried, a request fitted to the context window, a
 * prompt that Ollama read only part of, and notices (a model without tools, an answer cut short).
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PersonaName } from "../config.js";
import type { PublishedEvent } from "../events.js";
import type { Plan } from "../personas/metacognition.js";
import type { ConsentRequest } from "../tools/consent.js";
import type { FittedView } from "./context-budget.js";

export type GraphStreamEvent =
  /** forge.started, forge.attempt, tool.created, forge.reused, forge.failed of the run this turn started. */
  | PublishedEvent
  | { type: "forge.requested"; spec: string }
  | { type: "tool.calling"; name: string; args: unknown; toolCallId: string }
  /** `result`: a one-line preview of what the tool answered (null when it failed). */
  | { type: "tool.result"; name: string; toolCallId: string; ok: boolean; durationMs: number; result: string | null; error: string | null }
  | { type: "guard"; guard: "tool_rounds" | "forges"; limit: number; message: string }
  /** A tool needs hosts a person has not granted: what it asks (the call was not made). */
  | { type: "consent.requested"; request: ConsentRequest }
  | { type: "plan"; persona: PersonaName; plan: Plan }
  | { type: "plan.failed"; persona: PersonaName; error: string }
  /** Something the user should know about this turn, in a sentence. */
  | { type: "notice"; persona: PersonaName; text: string }
  /** A reply that was interrupted or empty, asked for once more. */
  | { type: "model.retry"; persona: PersonaName; model: string; problem: "interrupted" | "empty"; message: string }
  /** Older turns left out or notes clipped so that a request fits the model's context window. */
  | {
      type: "context.fitted";
      persona: PersonaName;
      model: string;
      numCtx: number;
      estimatedTokens: number;
      originalTokens: number;
      droppedMessages: number;
      clippedMessages: number;
    }
  /** Ollama read far fewer prompt tokens than were sent: it cut the start of the prompt. */
  | { type: "context.truncated"; persona: PersonaName; model: string; numCtx: number; estimatedTokens: number; promptEvalCount: number };

/** Writes a custom stream event when the run streams in "custom" mode (a no-op otherwise). */
export function emit(config: LangGraphRunnableConfig | undefined, event: GraphStreamEvent): void {
  config?.writer?.(event);
}

/** The `context.fitted` event, when fitting the request left messages out or clipped them. */
export function emitContextFitted(
  config: LangGraphRunnableConfig | undefined,
  persona: PersonaName,
  model: string,
  numCtx: number,
  fitted: FittedView,
): void {
  const { estimatedTokens, originalTokens, droppedMessages, clippedMessages } = fitted;
  if (!droppedMessages && !clippedMessages) return;
  emit(config, { type: "context.fitted", persona, model, numCtx, estimatedTokens, originalTokens, droppedMessages, clippedMessages });
}
