/**
 * One persona's model call, as every node makes it: optional metacognition (a JSON plan first),
 * then the answer; the reply is named after the persona, and Ollama failures become
 * ModelUnavailableError with the fix.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Config } from "../config.js";
import { explainModelError } from "../personas/model.js";
import { planInstruction, requestPlan, type Plan } from "../personas/metacognition.js";
import type { PersonaDefinition } from "../personas/types.js";
import { emit } from "./events.js";
import type { ToolBoundModel } from "./models.js";

export interface SpeakInput {
  persona: PersonaDefinition;
  /** The plain chat model (used for the plan). */
  model: BaseChatModel;
  /** What answers: the plain model, or BRICK's model bound to tools. */
  answerer: BaseChatModel | ToolBoundModel;
  modelName: string;
  /** System prompt: the persona's role plus whatever the node adds. */
  system: string;
  messages: BaseMessage[];
  metacognition: boolean;
  /** A plan made earlier in this turn (BRICK plans once per turn, not on every tool round). */
  plan?: Plan | undefined;
  config: Config;
  runnable: LangGraphRunnableConfig;
}

export interface Spoken {
  reply: AIMessage;
  plan: Plan | null;
  /** Why metacognition produced no plan (the persona then answered without one). */
  planError: string | null;
}

export async function speak(input: SpeakInput): Promise<Spoken> {
  const { persona, runnable } = input;
  const context = { persona: persona.name, model: input.modelName, host: input.config.ollamaHost };
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw explainModelError(error, context);
    }
  };

  let plan: Plan | null = input.metacognition ? (input.plan ?? null) : null;
  let planError: string | null = null;
  if (input.metacognition && !plan) {
    const result = await call(() => requestPlan(persona, input.model, [new SystemMessage(input.system), ...input.messages], runnable));
    if (result.ok) {
      plan = result.plan;
      emit(runnable, { type: "plan", persona: persona.name, plan });
    } else {
      planError = result.error;
      emit(runnable, { type: "plan.failed", persona: persona.name, error: result.error });
    }
  }

  const system = plan ? `${input.system}\n\n${planInstruction(plan)}` : input.system;
  const raw = await call(() => input.answerer.invoke([new SystemMessage(system), ...input.messages], runnable));
  const reply = new AIMessage({
    content: raw.content,
    tool_calls: raw.tool_calls ?? [],
    invalid_tool_calls: raw.invalid_tool_calls ?? [],
    name: persona.name,
    response_metadata: { ...raw.response_metadata, model: input.modelName },
    ...(raw.usage_metadata ? { usage_metadata: raw.usage_metadata } : {}),
    ...(raw.id ? { id: raw.id } : {}),
  });
  return { reply, plan, planError };
}
