/**
 * One persona's model call, as every node makes it: optional metacognition (a JSON plan first),
 * then the answer; the reply is named after the persona. What a real model does wrong is told
 * apart here:
 * - Ollama failures become typed errors with the fix (unreachable, model missing, no tools; see
 *   explainModelError);
 * - a reply whose stream was interrupted, or that is empty (no words once thinking is split off,
 *   no tool calls), is asked for once more; an interrupted second try is a ModelReplyError, an
 *   empty one is returned with `empty` for the node to decide;
 * - a reply cut at the length limit (`done_reason: "length"`) is marked `cut`, never retried;
 * - a prompt that Ollama read far less of than was sent (`prompt_eval_count` well under the
 *   estimate: it cut the start) is reported as a `context.truncated` event, on the bus and in the
 *   stream, with the model and the numbers.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, SystemMessage, type AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Config } from "../config.js";
import { ModelReplyError } from "../errors.js";
import type { EventBus } from "../events.js";
import { explainModelError } from "../personas/model.js";
import { planInstruction, requestPlan, type Plan } from "../personas/metacognition.js";
import type { PersonaDefinition } from "../personas/types.js";
import { spokenText } from "./conversation.js";
import { emit } from "./events.js";
import type { ToolBoundModel } from "./models.js";

/** "Clearly below the estimate": Ollama read less than this share of the tokens estimated. */
export const TRUNCATION_RATIO = 0.5;

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
  /** The window asked for and the request's estimated tokens, to notice a prompt Ollama cut. */
  context?: { numCtx: number; estimatedTokens: number } | undefined;
  /** Where a truncated prompt is published (and so logged by the server). */
  bus?: EventBus | undefined;
}

export interface Spoken {
  reply: AIMessage;
  plan: Plan | null;
  /** Why metacognition produced no plan (the persona then answered without one). */
  planError: string | null;
  /** The reply has no words (thinking aside) and no tool calls, after one more try. */
  empty: boolean;
  /** Ollama stopped the reply at the length limit (`done_reason: "length"`). */
  cut: boolean;
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
  const request = [new SystemMessage(system), ...input.messages];
  let raw: AIMessageChunk | AIMessage | undefined;
  for (let attempt = 1; raw === undefined; attempt++) {
    let answer: AIMessageChunk | AIMessage;
    try {
      answer = await call(() => input.answerer.invoke(request, runnable));
    } catch (error) {
      if (attempt === 1 && error instanceof ModelReplyError && !runnable.signal?.aborted) {
        retrying(input, "interrupted", error.message.split("\n")[0] ?? error.message);
        continue;
      }
      throw error;
    }
    // ChatOllama ends an aborted stream quietly with what it had: that is no reply.
    runnable.signal?.throwIfAborted();
    if (attempt === 1 && isEmpty(answer) && !isCut(answer)) {
      retrying(input, "empty", `${persona.title}'s model (${input.modelName}) answered with nothing`);
      continue;
    }
    raw = answer;
  }

  const reply = new AIMessage({
    content: raw.content,
    tool_calls: raw.tool_calls ?? [],
    invalid_tool_calls: raw.invalid_tool_calls ?? [],
    additional_kwargs: raw.additional_kwargs,
    name: persona.name,
    response_metadata: { ...raw.response_metadata, model: input.modelName },
    ...(raw.usage_metadata ? { usage_metadata: raw.usage_metadata } : {}),
    ...(raw.id ? { id: raw.id } : {}),
  });
  if (input.context) noticeTruncation(input, input.context, reply);
  return { reply, plan, planError, empty: isEmpty(reply), cut: isCut(reply) };
}

function retrying(input: SpeakInput, problem: "interrupted" | "empty", message: string): void {
  emit(input.runnable, { type: "model.retry", persona: input.persona.name, model: input.modelName, problem, message });
}

function isEmpty(reply: AIMessage | AIMessageChunk): boolean {
  return !spokenText(reply) && !reply.tool_calls?.length && !reply.invalid_tool_calls?.length;
}

function isCut(reply: AIMessage | AIMessageChunk): boolean {
  return (reply.response_metadata as { done_reason?: unknown } | undefined)?.done_reason === "length";
}

/** Ollama's `prompt_eval_count` well under the estimate: the start of the prompt was dropped. */
function noticeTruncation(input: SpeakInput, context: { numCtx: number; estimatedTokens: number }, reply: AIMessage): void {
  const promptEvalCount = (reply.response_metadata as { prompt_eval_count?: unknown }).prompt_eval_count;
  if (typeof promptEvalCount !== "number" || promptEvalCount <= 0) return;
  if (promptEvalCount >= context.estimatedTokens * TRUNCATION_RATIO) return;
  const numbers = {
    persona: input.persona.name,
    model: input.modelName,
    numCtx: context.numCtx,
    estimatedTokens: context.estimatedTokens,
    promptEvalCount,
  };
  emit(input.runnable, { type: "context.truncated", ...numbers });
  input.bus?.publish({ type: "model.context_truncated", ...numbers });
}
