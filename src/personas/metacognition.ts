/**
 * Optional metacognition (METACOG=on, or per run): before answering, a persona asks its model for
 * a short plan as structured JSON — Ollama's `format` carries the JSON Schema below, so the model is
 * constrained to it — and then answers with the plan in its instructions.
 */
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { Runnable, RunnableConfig } from "@langchain/core/runnables";
import { z } from "zod";
import { CUE_NAME } from "./team.js";
import type { PersonaDefinition } from "./types.js";

/** The JSON Schema sent as Ollama's `format` for the plan request. */
export const PLAN_JSON_SCHEMA = {
  type: "object",
  properties: {
    goal: { type: "string", description: "What this answer must achieve, in one sentence." },
    steps: {
      type: "array",
      items: { type: "string" },
      minItems: 1,
      maxItems: 5,
      description: "The steps to take, in order, each one short.",
    },
    risks: {
      type: "array",
      items: { type: "string" },
      maxItems: 3,
      description: "What could make the answer wrong or unhelpful.",
    },
  },
  required: ["goal", "steps"],
} as const;

const PlanSchema = z.object({
  goal: z.string().min(1),
  steps: z.array(z.string()).min(1).max(10),
  risks: z.array(z.string()).max(10).optional(),
});

export type Plan = z.infer<typeof PlanSchema>;

/** Tag on the plan request's run, so callbacks and traces can tell plan calls from answers. */
const PLAN_TAG = "toolforge:plan";
/** LangGraph's tag that keeps a model call's tokens out of the "messages" stream: the plan is not the answer. */
const NO_STREAM_TAG = "langsmith:nostream";

export type PlanResult = ({ ok: true; plan: Plan } | { ok: false; error: string }) & {
  /** The model's words as written. */
  raw: string;
  /** The reply, for its usage. */
  reply: BaseMessage;
};

/** The request for a plan, sent after the conversation (so the prompt before it is the one the answer will send too). */
export function planRequestMessage(persona: PersonaDefinition): HumanMessage {
  return new HumanMessage({
    content:
      `Before you answer as ${persona.title}, write your plan as JSON: {"goal": one sentence, ` +
      `"steps": at most five short steps, "risks": at most three}. Only the JSON, no answer yet.`,
    name: CUE_NAME,
  });
}

/** Asks the model for a plan: `messages` is the whole request, ending with planRequestMessage. */
export async function requestPlan(
  model: Runnable<BaseMessage[], BaseMessage>,
  messages: BaseMessage[],
  config: RunnableConfig = {},
): Promise<PlanResult> {
  const options = { ...config, format: PLAN_JSON_SCHEMA, tags: [...(config.tags ?? []), PLAN_TAG, NO_STREAM_TAG] };
  const reply = await model.invoke(messages, options as RunnableConfig);
  const raw = typeof reply.content === "string" ? reply.content : JSON.stringify(reply.content);
  return { ...parsePlan(raw), raw, reply };
}

function parsePlan(raw: string): { ok: true; plan: Plan } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, error: `the plan is not JSON: ${(error as Error).message}` };
  }
  const parsed = PlanSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `the plan does not match its schema: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  return { ok: true, plan: parsed.data };
}

/** The plan as an instruction appended to the persona's system prompt. */
export function planInstruction(plan: Plan): string {
  const steps = plan.steps.map((step, i) => `${i + 1}. ${step}`).join("\n");
  const risks = plan.risks?.length ? `\nWatch for: ${plan.risks.join("; ")}` : "";
  return `Your plan for this answer (follow it):\nGoal: ${plan.goal}\n${steps}${risks}`;
}
