/**
 * The context window of each model call. Ollama silently drops the START of a prompt longer than
 * the request's `num_ctx` — the system prompt and the tool definitions first — so every call is
 * fitted before it is sent: its tokens are estimated (util/tokens.ts, plus 4 tokens of chat
 * template per message), and when they exceed the window (less room for the reply):
 *   1. earlier turns are shortened to question and answer (one cut: the prompt's prefix changes once);
 *   2. the oldest of those go, four turns at a time (so the prefix stays the same for the next few
 *      turns, and Ollama's cache keeps serving it);
 *   3. long messages of this turn are clipped, shorter and shorter;
 *   4. BRICK's oldest tool rounds of this turn go, the latest kept.
 * The system prompt, the tool definitions, the user's latest message and the cues are never cut.
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { estimateTextTokens, replyReserve, TOKENS_PER_MESSAGE } from "../util/tokens.js";
import { isCue, isUserMessage, questionsAndAnswers, splitTurns, textOf, transcript } from "./conversation.js";

function estimateMessageTokens(message: BaseMessage): number {
  const calls =
    AIMessage.isInstance(message) && message.tool_calls?.length
      ? JSON.stringify(message.tool_calls.map((c) => ({ name: c.name, args: c.args })))
      : "";
  return TOKENS_PER_MESSAGE + estimateTextTokens(textOf(message) + calls);
}

export function estimateMessagesTokens(messages: BaseMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateMessageTokens(m), 0);
}

/** The tool definitions as Ollama receives them (OpenAI's function format, JSON). */
export function estimateToolTokens(tools: StructuredToolInterface[]): number {
  return tools.length ? estimateTextTokens(JSON.stringify(tools.map((t) => convertToOpenAITool(t)))) : 0;
}

export interface FittedView {
  messages: BaseMessage[];
  /** The whole request's estimate (system prompt, tools and messages), after fitting. */
  estimatedTokens: number;
  /** The estimate before fitting. */
  originalTokens: number;
  /** Messages left out (older turns, BRICK's older rounds of this turn). */
  droppedMessages: number;
  /** Messages (or notes) shortened. */
  clippedMessages: number;
  /** The request fits the window with room for the reply (false: even the essentials do not). */
  fits: boolean;
}

export interface FitOptions {
  system: string;
  /** The bound tools' definitions, in tokens (0 without tools). */
  toolTokens?: number;
  numCtx: number;
}

const CLIP_STEPS = [4_000, 1_500, 500, 200];
/** Earlier turns are dropped this many at a time (see the file comment). */
const DROP_TURNS = 4;

/** The transcript of `messages` (conversation.ts) fitted to the window; see the file comment for the order of cuts. */
export function fitTranscript(messages: readonly BaseMessage[], options: FitOptions): FittedView {
  const fixed = estimateTextTokens(options.system) + TOKENS_PER_MESSAGE + (options.toolTokens ?? 0);
  const budget = options.numCtx - replyReserve(options.numCtx);
  const whole = transcript(messages);
  const originalTokens = fixed + estimateMessagesTokens(whole);
  if (originalTokens <= budget) return unfitted(whole, originalTokens);

  const { earlier, current } = splitTurns(messages);
  const pairs = questionsAndAnswers(earlier);
  let kept = pairs;
  let turn = transcript(current);
  let clippedMessages = 0;
  const total = () => fixed + estimateMessagesTokens(kept) + estimateMessagesTokens(turn);

  const starts = pairs.flatMap((message, i) => (isUserMessage(message) ? [i] : []));
  for (let drop = DROP_TURNS; total() > budget && kept.length > 0; drop += DROP_TURNS) {
    kept = pairs.slice(starts[drop] ?? pairs.length);
  }
  let droppedMessages = earlier.length - kept.length;

  for (const limit of CLIP_STEPS) {
    if (total() <= budget) break;
    turn = turn.map((message, i) => {
      if (i === 0 || isCue(message) || textOf(message).length <= limit) return message;
      clippedMessages++;
      return clipMessage(message, limit);
    });
  }

  // BRICK's oldest rounds of this turn, one at a time; the user's message and the latest round stay.
  while (total() > budget) {
    const rounds = roundStarts(turn);
    if (rounds.length < 2) break;
    const [first, second] = rounds as [number, number];
    droppedMessages += second - first;
    turn = [...turn.slice(0, first), ...turn.slice(second)];
  }

  const estimatedTokens = total();
  return {
    messages: [...kept, ...turn],
    estimatedTokens,
    originalTokens,
    droppedMessages,
    clippedMessages,
    fits: estimatedTokens <= budget,
  };
}

/** A view that fits as it is: nothing left out or clipped. */
function unfitted(messages: BaseMessage[], tokens: number): FittedView {
  return { messages, estimatedTokens: tokens, originalTokens: tokens, droppedMessages: 0, clippedMessages: 0, fits: true };
}

/** Indexes in this turn's transcript where one of BRICK's tool rounds starts (its message with tool calls). */
function roundStarts(turn: BaseMessage[]): number[] {
  const starts: number[] = [];
  turn.forEach((message, i) => {
    if (i > 0 && AIMessage.isInstance(message) && (message.tool_calls?.length ?? 0) > 0) starts.push(i);
  });
  return starts;
}

function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [${text.length - max} more characters left out to fit the context window]`;
}

function clipMessage(message: BaseMessage, max: number): BaseMessage {
  const content = clipText(textOf(message), max);
  if (ToolMessage.isInstance(message)) {
    return new ToolMessage({
      content,
      tool_call_id: message.tool_call_id,
      ...(message.name ? { name: message.name } : {}),
      ...(message.status ? { status: message.status } : {}),
    });
  }
  if (AIMessage.isInstance(message)) {
    return new AIMessage({ content, tool_calls: message.tool_calls ?? [], ...(message.name ? { name: message.name } : {}) });
  }
  return new HumanMessage({ content, ...(message.name ? { name: message.name } : {}) });
}
