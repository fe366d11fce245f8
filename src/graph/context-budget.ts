/**
 * The context window of each model call. Ollama silently drops the START of a prompt longer than
 * the request's `num_ctx` — the system prompt and the tool definitions first — so every call is
 * fitted before it is sent: its tokens are estimated, and when they exceed the window (less room
 * for the reply) the oldest turns are left out, then long notes and tool results are clipped, then
 * BRICK's oldest tool rounds of the turn go. The system prompt, the bound tools' definitions and
 * the user's latest message are never cut.
 *
 * The estimate: about 4 characters per token for English text (OpenAI's rule of thumb, "a token is
 * roughly 4 characters"), taken as 3.5 because code, JSON and other languages need more tokens,
 * plus 4 tokens of chat template per message. An over-estimate only makes the fit a little tight;
 * an under-estimate is what `prompt_eval_count` catches after the fact (see speak.ts).
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { cascadeView, isUserMessage, splitTurns, teamNotesMessage, textOf } from "./conversation.js";

export const CHARS_PER_TOKEN = 3.5;
const TOKENS_PER_MESSAGE = 4;

export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function estimateMessageTokens(message: BaseMessage): number {
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

/** Room kept for the reply: a quarter of the window, between 256 and 4096 tokens. */
export function replyReserve(numCtx: number): number {
  return Math.min(4_096, Math.max(256, Math.floor(numCtx / 4)));
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

/**
 * BRICK's view (earlier turns as question/answer pairs, the current turn in full) fitted to the
 * window: older turns out first, then long messages of this turn clipped, then this turn's
 * oldest tool rounds (an assistant message with its tool results) out, the latest kept.
 */
export function fitBrickView(messages: BaseMessage[], options: FitOptions): FittedView {
  const { history, current } = splitTurns(messages);
  const fixed = estimateTextTokens(options.system) + TOKENS_PER_MESSAGE + (options.toolTokens ?? 0);
  const budget = options.numCtx - replyReserve(options.numCtx);
  const total = (h: BaseMessage[], c: BaseMessage[]) => fixed + estimateMessagesTokens(h) + estimateMessagesTokens(c);
  const originalTokens = total(history, current);
  if (originalTokens <= budget) return unfitted([...history, ...current], originalTokens);
  let kept = [...history];
  let turn = [...current];
  let droppedMessages = 0;
  let clippedMessages = 0;

  const dropped = dropOldestTurns(kept, (h) => total(h, turn) <= budget);
  kept = dropped.kept;
  droppedMessages += dropped.count;

  for (const limit of CLIP_STEPS) {
    if (total(kept, turn) <= budget) break;
    turn = turn.map((message, i) => {
      if (i === 0 || textOf(message).length <= limit) return message;
      clippedMessages++;
      return clipMessage(message, limit);
    });
  }

  // BRICK's oldest rounds of this turn, one at a time; the user's message and the latest round stay.
  while (total(kept, turn) > budget) {
    const rounds = roundStarts(turn);
    if (rounds.length < 2) break;
    const [first, second] = rounds as [number, number];
    droppedMessages += second - first;
    turn = [...turn.slice(0, first), ...turn.slice(second)];
  }

  const estimatedTokens = total(kept, turn);
  return {
    messages: [...kept, ...turn],
    estimatedTokens,
    originalTokens,
    droppedMessages,
    clippedMessages,
    fits: estimatedTokens <= budget,
  };
}

/**
 * The cascade's view (earlier turns as pairs, the user's message, one message of team notes)
 * fitted to the window: older turns out first, then each note clipped, shorter and shorter, and
 * at last the notes' middle left out.
 */
export function fitCascadeView(messages: BaseMessage[], notices: string[], options: FitOptions): FittedView {
  const fixed = estimateTextTokens(options.system) + TOKENS_PER_MESSAGE;
  const budget = options.numCtx - replyReserve(options.numCtx);
  const full = cascadeView(messages, notices);
  const originalTokens = fixed + estimateMessagesTokens(full);
  if (originalTokens <= budget) return unfitted(full, originalTokens);
  // The view ends with the user's message (when there is one) and the team's notes.
  const tailLength = messages.some(isUserMessage) ? 2 : 1;
  const history = full.slice(0, full.length - tailLength);
  const withNotes = (notes: BaseMessage) => [...full.slice(full.length - tailLength, -1), notes];
  let tail = full.slice(full.length - tailLength);
  const total = (h: BaseMessage[]) => fixed + estimateMessagesTokens(h) + estimateMessagesTokens(tail);
  const dropped = dropOldestTurns(history, (h) => total(h) <= budget);
  let clippedMessages = 0;

  if (total(dropped.kept) > budget) {
    clippedMessages = 1;
    const turn = splitTurns(messages).current.slice(1);
    for (const limit of CLIP_STEPS) {
      tail = withNotes(teamNotesMessage(turn, notices, limit));
      if (total(dropped.kept) <= budget) break;
    }
    const over = total(dropped.kept) - budget;
    if (over > 0) {
      const text = textOf(tail.at(-1)!);
      const keep = Math.max(0, text.length - Math.ceil(over * CHARS_PER_TOKEN) - 80);
      tail = withNotes(new HumanMessage({ content: clipMiddle(text, keep) }));
    }
  }
  const estimatedTokens = total(dropped.kept);
  return {
    messages: [...dropped.kept, ...tail],
    estimatedTokens,
    originalTokens,
    droppedMessages: dropped.count,
    clippedMessages,
    fits: estimatedTokens <= budget,
  };
}

/** A view that fits as it is: nothing left out or clipped. */
function unfitted(messages: BaseMessage[], tokens: number): FittedView {
  return { messages, estimatedTokens: tokens, originalTokens: tokens, droppedMessages: 0, clippedMessages: 0, fits: true };
}

/** Drops earlier turns from the front (a user message and its answer together) until `fits`. */
function dropOldestTurns(history: BaseMessage[], fits: (kept: BaseMessage[]) => boolean): { kept: BaseMessage[]; count: number } {
  let kept = history;
  let count = 0;
  while (kept.length > 0 && !fits(kept)) {
    let cut = 1;
    while (cut < kept.length && !HumanMessage.isInstance(kept[cut]!)) cut++;
    count += cut;
    kept = kept.slice(cut);
  }
  return { kept, count };
}

/** Indexes in the current turn where one of BRICK's rounds starts (its assistant message). */
function roundStarts(turn: BaseMessage[]): number[] {
  const starts: number[] = [];
  turn.forEach((message, i) => {
    if (i > 0 && AIMessage.isInstance(message)) starts.push(i);
  });
  return starts;
}

export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [${text.length - max} more characters left out to fit the context window]`;
}

function clipMiddle(text: string, keep: number): string {
  if (text.length <= keep) return text;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}\n… [${text.length - keep} characters of notes left out to fit the context window] …\n${text.slice(text.length - (keep - head))}`;
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
