/**
 * How the conversation in the state is split into turns and shown to each persona.
 *
 * - A user turn starts at a user message (a human message that is not a tool_forge note).
 * - BRICK sees earlier turns as question/answer pairs (the user's message and ALFRED's answer) and
 *   the current turn in full: its own messages with their tool calls, the tool results, the forge's
 *   notes — the tool-calling protocol as the model expects it.
 * - ROBIN, BABS and ALFRED see the same earlier turns, the user's message, and the team's notes of
 *   the current turn as one text (their models need not understand tool messages).
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { PERSONAS } from "../personas/registry.js";
import type { PersonaName } from "../config.js";
import { withoutThinking } from "../util/thinking.js";

/** The `name` of the human message the tool_forge node adds to the conversation. */
export const FORGE_NOTE_NAME = "tool_forge";

export function isForgeNote(message: BaseMessage): boolean {
  return HumanMessage.isInstance(message) && message.name === FORGE_NOTE_NAME;
}

export function isUserMessage(message: BaseMessage): boolean {
  return HumanMessage.isInstance(message) && message.name !== FORGE_NOTE_NAME;
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
  /** Earlier turns as user message + final answer (when the turn got one). */
  history: BaseMessage[];
  /** The current turn: the user's message and everything after it. */
  current: BaseMessage[];
  /** The user's message that opened the current turn (null when there is none). */
  user: BaseMessage | null;
}

export function splitTurns(messages: BaseMessage[]): Turns {
  let start = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (isUserMessage(messages[i]!)) {
      start = i;
      break;
    }
  }
  const before = start === -1 ? messages : messages.slice(0, start);
  return {
    history: historyPairs(before),
    current: start === -1 ? [] : messages.slice(start),
    user: start === -1 ? null : messages[start]!,
  };
}

/** Each earlier turn as its user message and the last answer given to it (ALFRED's, else the last AI text). */
function historyPairs(messages: BaseMessage[]): BaseMessage[] {
  const out: BaseMessage[] = [];
  let answer: AIMessage | null = null;
  let fallback: AIMessage | null = null;
  const flush = () => {
    const chosen = answer ?? fallback;
    if (chosen) out.push(new AIMessage({ content: spokenText(chosen) }));
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

/** BRICK's view: earlier turns as pairs, then the current turn as it is. */
export function brickView(messages: BaseMessage[]): BaseMessage[] {
  const { history, current } = splitTurns(messages);
  return [...history, ...current];
}

/**
 * The cascade's view: earlier turns as pairs, the user's message, and one message with the team's
 * notes so far in this turn (BRICK's analysis and tool calls with results, the forge's notes, and
 * the remarks of the personas who spoke before).
 */
export function cascadeView(messages: BaseMessage[], notices: string[]): BaseMessage[] {
  const { history, current, user } = splitTurns(messages);
  const out = [...history];
  if (user) out.push(new HumanMessage({ content: textOf(user) }));
  out.push(teamNotesMessage(current.slice(1), notices));
  return out;
}

/**
 * The last message of the cascade's view: the team's notes on `turn` (the current turn after the
 * user's message) and the notices; each note longer than `maxNoteChars` is clipped.
 */
export function teamNotesMessage(turn: BaseMessage[], notices: string[], maxNoteChars = Infinity): HumanMessage {
  const notes = teamNotes(turn, notices, maxNoteChars);
  return new HumanMessage({
    content: `Notes from your team on this question (the user does not see them):\n\n${notes || "(none)"}`,
  });
}

/** The turn's notes, one entry each; an entry longer than `maxChars` is clipped (to fit a context window). */
function teamNotes(turn: BaseMessage[], notices: string[], maxChars: number): string {
  const lines: string[] = [];
  const clip = (text: string) => (text.length <= maxChars ? text : `${text.slice(0, maxChars)}… [clipped]`);
  for (const message of turn) {
    if (AIMessage.isInstance(message)) {
      const who = titleOf(message.name);
      const text = clip(spokenText(message));
      if (text) lines.push(`${who}: ${text}`);
      for (const call of message.tool_calls ?? [])
        lines.push(`${who} called the tool ${call.name} with ${clip(JSON.stringify(call.args))}.`);
    } else if (ToolMessage.isInstance(message)) {
      const failed = message.status === "error";
      lines.push(`${failed ? "The tool failed" : "Tool result"} (${message.name ?? "tool"}): ${clip(textOf(message))}`);
    } else if (isForgeNote(message)) {
      lines.push(`Tool forge: ${clip(textOf(message))}`);
    }
  }
  for (const notice of notices) lines.push(`System: ${clip(notice)}`);
  return lines.join("\n\n");
}

function titleOf(name: string | undefined): string {
  return name && name in PERSONAS ? PERSONAS[name as PersonaName].title : "Assistant";
}
