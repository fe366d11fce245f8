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
 * - a prompt that Ollama read far less of than was sent — beyond what its prompt cache could have
 *   served (personas/prompt-cache.ts) — is reported as a `context.truncated` event, on the bus and
 *   in the stream, with the model and the numbers: it cut the start.
 *
 * Every call appends to what the previous one sent, so Ollama's cache serves the prefix: the plan
 * request goes after the conversation, and the answer after the plan request and the plan.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, SystemMessage, type AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Config } from "../config.js";
import { ModelReplyError } from "../errors.js";
import type { EventBus } from "../events.js";
import { explainModelError } from "../personas/model.js";
import { planRequestMessage, planInstruction, requestPlan, type Plan } from "../personas/metacognition.js";
import { promptCacheLog } from "../personas/prompt-cache.js";
import type { PersonaDefinition } from "../personas/types.js";
import { callUsage, type ModelCallUsage } from "../personas/usage.js";
import { CHARS_PER_TOKEN, estimateTextTokens } from "../util/tokens.js";
import { estimateMessagesTokens } from "./context-budget.js";
import { cueMessage, spokenText } from "./conversation.js";
import { emit } from "./events.js";
import type { ToolBoundModel, ToolSet } from "./models.js";

/** "Clearly below the estimate": Ollama read less than this share of the tokens it could not have cached. */
const TRUNCATION_RATIO = 0.5;
/**
 * A prompt estimated below this share of the window is never taken for a cut one: the estimate
 * would have to be four times too low (a cache Ollama kept from before this process started, or
 * another client's, is the likelier reason for a small count).
 */
const TRUNCATION_MIN_SHARE = 0.25;

export interface SpeakInput {
  persona: PersonaDefinition;
  /** The model that writes the plan: the answerer without thinking (the plan is the thinking), bound to the same tools. */
  planner: BaseChatModel | ToolBoundModel;
  /** What answers: the plain model, or the model bound to the tools. */
  answerer: BaseChatModel | ToolBoundModel;
  /** The tools bound to the answerer (for the prompt-cache estimate). */
  tools: ToolSet;
  modelName: string;
  /** The team's system prompt. */
  system: string;
  /** The transcript as this persona sends it (fitted), its cue last. */
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
  /** Every model call made: the plan, the answer, a retry. */
  usage: ModelCallUsage[];
}

export async function speak(input: SpeakInput): Promise<Spoken> {
  const { persona, runnable } = input;
  const usage: ModelCallUsage[] = [];
  const context = { persona: persona.name, model: input.modelName, host: input.config.ollamaHost };
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw explainModelError(error, context);
    }
  };
  /** Records the request with the prompt-cache log; returns the estimated tokens of it Ollama's cache can serve. */
  const note = (messages: BaseMessage[], tools: ToolSet): number => {
    const held = promptCacheLog.note(input.config.ollamaHost, input.modelName, { system: input.system, tools: tools.key, messages });
    if (!held.system) return 0;
    return (
      estimateTextTokens(input.system) +
      (held.tools ? tools.tokens : 0) +
      estimateMessagesTokens(messages.slice(0, held.messages)) +
      Math.floor(held.partialChars / CHARS_PER_TOKEN)
    );
  };

  let plan: Plan | null = input.metacognition ? (input.plan ?? null) : null;
  let planError: string | null = null;
  let tail: BaseMessage[] = [];
  if (input.metacognition && !plan) {
    const asked = [...input.messages, planRequestMessage(persona)];
    note(asked, input.tools);
    const result = await call(() => requestPlan(input.planner, [new SystemMessage(input.system), ...asked], runnable));
    usage.push(callUsage(result.reply, persona.name, "plan", input.modelName));
    if (result.ok) {
      plan = result.plan;
      emit(runnable, { type: "plan", persona: persona.name, plan });
      tail = [planRequestMessage(persona), new AIMessage({ content: result.raw }), cueMessage(planInstruction(plan))];
    } else {
      planError = result.error;
      emit(runnable, { type: "plan.failed", persona: persona.name, error: result.error });
    }
  } else if (plan) {
    tail = [cueMessage(planInstruction(plan))];
  }

  const messages = [...input.messages, ...tail];
  const request = [new SystemMessage(input.system), ...messages];
  let raw: AIMessageChunk | AIMessage | undefined;
  let cached = 0;
  for (let attempt = 1; raw === undefined; attempt++) {
    let answer: AIMessageChunk | AIMessage;
    cached = note(messages, input.tools);
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
    usage.push(callUsage(answer, persona.name, "answer", input.modelName));
    promptCacheLog.noteReply(input.config.ollamaHost, input.modelName, answer);
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
  if (input.context) noticeTruncation(input, input.context, cached, reply);
  return { reply, plan, planError, empty: isEmpty(reply), cut: isCut(reply), usage };
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

/**
 * Ollama's `prompt_eval_count` well under what it had to read: the start of the prompt was dropped.
 * What it had to read is the estimate less what its prompt cache could serve (`cached`), and a
 * prompt far smaller than the window is never taken for a cut one (see TRUNCATION_MIN_SHARE).
 */
function noticeTruncation(input: SpeakInput, context: { numCtx: number; estimatedTokens: number }, cached: number, reply: AIMessage): void {
  const promptEvalCount = (reply.response_metadata as { prompt_eval_count?: unknown }).prompt_eval_count;
  if (typeof promptEvalCount !== "number" || promptEvalCount <= 0) return;
  if (context.estimatedTokens < context.numCtx * TRUNCATION_MIN_SHARE) return;
  if (promptEvalCount >= (context.estimatedTokens - cached) * TRUNCATION_RATIO) return;
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
