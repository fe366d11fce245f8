/**
 * The custom stream events the graph writes through LangGraph's `config.writer` (stream mode
 * "custom"): the forge's progress for the forge run this graph started (the bus events of that
 * run, unchanged), each tool call and its result, guard hits and metacognition plans.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PersonaName } from "../config.js";
import type { PublishedEvent } from "../events.js";
import type { Plan } from "../personas/metacognition.js";

export type GraphStreamEvent =
  /** forge.started, forge.attempt, tool.created, forge.reused, forge.failed of the run this turn started. */
  | PublishedEvent
  | { type: "forge.requested"; spec: string }
  | { type: "tool.calling"; name: string; args: unknown; toolCallId: string }
  | { type: "tool.result"; name: string; toolCallId: string; ok: boolean; durationMs: number; error: string | null }
  | { type: "guard"; guard: "tool_rounds" | "forges"; limit: number; message: string }
  | { type: "plan"; persona: PersonaName; plan: Plan }
  | { type: "plan.failed"; persona: PersonaName; error: string };

/** Writes a custom stream event when the run streams in "custom" mode (a no-op otherwise). */
export function emit(config: LangGraphRunnableConfig | undefined, event: GraphStreamEvent): void {
  config?.writer?.(event);
}
