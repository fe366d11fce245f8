/**
 * The conversation as the team sees it: one transcript that the four personas take turns on.
 *
 * - A user turn starts at a user message: a human message that is neither a tool_forge note nor a
 *   cue.
 * - The transcript is the conversation as it happened, in order: every user message, BRICK's
 *   messages with their tool calls, the tool results, the forge's notes, and for each later persona
 *   the cue that gave it the word followed by what it said. Thinking is never in it.
 * - Every persona's model call sends the transcript so far (plus its own cue), so each call is the
 *   previous one plus what was added since: Ollama's prompt cache serves the rest. Earlier turns
 *   are shortened to question and answer only when the whole does not fit (context-budget.ts).
 * - A persona whose model is not BRICK's (it shares no prompt cache with BRICK, and need not know
 *   tool messages) gets the same transcript with tool calls and results written as text.
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { PERSONAS } from "../personas/registry.js";
import { CUE_NAME } from "../personas/team.js";
import type { PersonaName } from "../config.js";
import { splitThinking, withoutThinking } from "../util/thinking.js";

/** The `name` of the human message the tool_forge node adds to the conversation. */
export const FORGE_NOTE_NAME = "tool_forge";
/** How a forge note begins when it is sent to a model. */
const FORGE_NOTE_PREFIX = "Tool forge: ";
/** The `name` of a tool result written as text (withToolsAsText). */
const TOOL_NOTE_NAME = "tool_result";
const NOT_USER = new Set([FORGE_NOTE_NAME, CUE_NAME, TOOL_NOTE_NAME]);

function isForgeNote(message: BaseMessage): boolean {
  return HumanMessage.isInstance(message) && message.name === FORGE_NOTE_NAME;
}

export function isCue(message: BaseMessage): boolean {
  return HumanMessage.isInstance(message) && message.name === CUE_NAME;
}

export function isUserMessage(message: BaseMessage): boolean {
  return HumanMessage.isInstance(message) && !NOT_USER.has(message.name ?? "");
}

export function cueMessage(text: string): HumanMessage {
  return new HumanMessage({ content: text, name: CUE_NAME });
}

export function textOf(message: BaseMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  return content
    .map((part) => (typeof part === "string" ? part : part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** What a model said, without its thinking (thinking is never an answer or a note). */
export function spokenText(message: BaseMessage): string {
  return withoutThinking(textOf(message));
}

export interface Turns {
  /** Earlier turns as they happened. */
  earlier: BaseMessage[];
  /** The current turn: the user's message and everything after it. */
  current: BaseMessage[];
  /** The user's message that opened the current turn (null when there is none). */
  user: BaseMessage | null;
}

export function splitTurns(messages: readonly BaseMessage[]): Turns {
  let start = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (isUserMessage(messages[i]!)) {
      start = i;
      break;
    }
  }
  return {
    earlier: start === -1 ? [...messages] : messages.slice(0, start),
    current: start === -1 ? [] : messages.slice(start),
    user: start === -1 ? null : messages[start]!,
  };
}

/** Earlier turns shortened to each user message and the last answer given to it (ALFRED's, else the last AI words). */
export function questionsAndAnswers(messages: readonly BaseMessage[]): BaseMessage[] {
  const out: BaseMessage[] = [];
  let answer: AIMessage | null = null;
  let fallback: AIMessage | null = null;
  const flush = () => {
    const chosen = answer ?? fallback;
    if (chosen) out.push(new AIMessage({ content: spokenText(chosen), ...(chosen.name ? { name: chosen.name } : {}) }));
    answer = null;
    fallback = null;
  };
  for (const message of messages) {
    if (isUserMessage(message)) {
      flush();
      out.push(new HumanMessage({ content: textOf(message) }));
    } else if (AIMessage.isInstance(message) && spokenText(message)) {
      if (message.name === "alfred") answer = message;
      else fallback = message;
    }
  }
  flush();
  return out;
}

/** The transcript: every message as it is sent to a model, without thinking. */
export function transcript(messages: readonly BaseMessage[]): BaseMessage[] {
  return messages.map(asSent);
}

/**
 * A message as it is sent to a model: an AI message with its words without thinking, its tool
 * calls and its name; a forge note said to be one (a model reads it as the user's otherwise).
 */
function asSent(message: BaseMessage): BaseMessage {
  if (isForgeNote(message))
    return new HumanMessage({
      content: `${FORGE_NOTE_PREFIX}${textOf(message)}`,
      name: FORGE_NOTE_NAME,
      ...(message.id ? { id: message.id } : {}),
    });
  if (!AIMessage.isInstance(message)) return message;
  const text = textOf(message);
  const split = splitThinking(text);
  if (!split.thinking && typeof message.content === "string") return message;
  return new AIMessage({
    content: split.content,
    tool_calls: message.tool_calls ?? [],
    ...(message.name ? { name: message.name } : {}),
    ...(message.id ? { id: message.id } : {}),
  });
}

/**
 * A transcript (messages as sent, see `transcript`) with the tool protocol written as text: each
 * tool call as a line of its caller's message, each tool result as a note. For a model that does
 * not share BRICK's tools. The other messages are already as sent and stay as they are.
 */
export function withToolsAsText(messages: readonly BaseMessage[]): BaseMessage[] {
  const out: BaseMessage[] = [];
  for (const message of messages) {
    if (AIMessage.isInstance(message) && message.tool_calls?.length) {
      const calls = message.tool_calls.map(
        (call) => `(${titleOf(message.name)} called the tool ${call.name} with ${JSON.stringify(call.args)}.)`,
      );
      const words = spokenText(message);
      out.push(new AIMessage({ content: [words, ...calls].filter(Boolean).join("\n"), ...(message.name ? { name: message.name } : {}) }));
    } else if (ToolMessage.isInstance(message)) {
      const failed = message.status === "error";
      const text = `${failed ? "The tool failed" : "Tool result"} (${message.name ?? "tool"}): ${textOf(message)}`;
      out.push(new HumanMessage({ content: text, name: TOOL_NOTE_NAME }));
    } else {
      out.push(message);
    }
  }
  return out;
}

function titleOf(name: string | undefined): string {
  return name && name in PERSONAS ? PERSONAS[name as PersonaName].title : "The assistant";
}
