/**
 * The graph's state: the conversation plus what routing and the guards need. Everything but
 * `messages` describes the current user turn and is reset by BRICK when a new turn begins (a new
 * user message). Zod schemas, so that LangGraph Studio gets the state, input and configuration
 * schemas at run time.
 */
import { MessagesZodMeta } from "@langchain/langgraph";
import { registry } from "@langchain/langgraph/zod";
import type { BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { Plan } from "../personas/metacognition.js";

/** Messages: LangGraph's messages reducer (append, replace by id); shown as a chat in Studio. */
const messages = () => (z.array(z.any()) as unknown as z.ZodType<BaseMessage[], BaseMessage[]>).register(registry, { ...MessagesZodMeta });

const ModelCallUsageSchema = z.object({
  who: z.enum(["brick", "robin", "babs", "alfred", "forge"]),
  kind: z.enum(["answer", "plan", "forge"]),
  model: z.string(),
  promptTokens: z.number(),
  completionTokens: z.number(),
  durationMs: z.number(),
  loadMs: z.number(),
});

/**
 * The model calls of one turn. A node adds its calls with the turn's id; calls for another turn
 * replace what is there (BRICK's first call of a turn starts it afresh). A reducer, so that nodes
 * running side by side can both add theirs.
 */
const TurnUsageSchema = z.object({ turnId: z.string().nullable(), calls: z.array(ModelCallUsageSchema) });
type TurnUsage = z.infer<typeof TurnUsageSchema>;

const turnUsage = () =>
  TurnUsageSchema.register(registry, {
    reducer: {
      fn: (current: TurnUsage, update: TurnUsage): TurnUsage =>
        update.turnId !== current.turnId ? update : { turnId: current.turnId, calls: [...current.calls, ...update.calls] },
    },
    default: () => ({ turnId: null, calls: [] }),
  });

const ForgeOutcomeSchema = z.object({
  status: z.enum(["installed", "reused", "failed"]),
  runId: z.string().nullable(),
  name: z.string().nullable(),
  version: z.number().nullable(),
  attempts: z.number(),
  reason: z.string().nullable(),
  spec: z.string(),
});

export const GraphStateSchema = z.object({
  messages: messages(),
  /** The id of the user message that opened the current turn. */
  turnId: z.string().nullable().default(null),
  /** The spec from BRICK's `TOOL_REQUIRED:` line, waiting for the tool_forge node. */
  pendingToolSpec: z.string().nullable().default(null),
  /** The last forge of this turn. */
  forgeOutcome: ForgeOutcomeSchema.nullable().default(null),
  /** Every forge of this turn, in order: a spec that failed is not forged again in the turn. */
  forgeOutcomes: z.array(ForgeOutcomeSchema).default(() => []),
  toolRounds: z.number().int().default(0),
  forgesThisTurn: z.number().int().default(0),
  /**
   * The tools bound to BRICK's last call, in order; the personas who share BRICK's model send the
   * same definitions. Kept across turns and only added to (in order) while they fit, so that the
   * definitions at the front of every prompt stay the same and Ollama's prompt cache serves them.
   */
  boundTools: z.array(z.string()).default(() => []),
  /** Every model call of this turn: who, tokens evaluated and generated, Ollama's time. */
  usage: turnUsage(),
  /** Tool names called this turn, in first-use order. */
  toolsUsed: z.array(z.string()).default(() => []),
  /** Tools forged (installed) this turn. */
  toolsCreated: z.array(z.string()).default(() => []),
  /** What tools asked a person for this turn and did not get (hosts not granted): for the faces to show. */
  consentRequests: z
    .array(
      z.object({
        tool: z.string(),
        version: z.number(),
        description: z.string(),
        hosts: z.array(z.string()),
        missing: z.array(z.string()),
        denied: z.array(z.string()),
      }),
    )
    .default(() => []),
  /** What the guards did this turn (caps reached, refused calls), for the personas and the caller. */
  notices: z.array(z.string()).default(() => []),
  /** Metacognition plans of this turn, by persona. */
  plans: z.record(z.string(), z.any()).default(() => ({})),
  /** ALFRED's final answer of the turn (null until ALFRED has spoken). */
  answer: z.string().nullable().default(null),
  /** How the answer ended: "stop", or "length" when Ollama cut it at the length limit (null until ALFRED has spoken). */
  finishReason: z.enum(["stop", "length"]).nullable().default(null),
});

/** What callers send: new messages (a user turn). */
export const GraphInputSchema = z.object({ messages: messages() });

export type ForgeOutcomeSummary = z.infer<typeof ForgeOutcomeSchema>;
export type { TurnUsage };
export type GraphState = Omit<z.infer<typeof GraphStateSchema>, "messages" | "plans"> & {
  messages: BaseMessage[];
  plans: Record<string, Plan>;
};
export type GraphUpdate = Partial<GraphState>;
