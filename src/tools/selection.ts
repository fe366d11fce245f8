/**
 * Which tools BRICK gets bound on one model call: at most `limit` (TOOL_BIND_LIMIT), built-ins
 * counted like any other, so the request stays the same size whether the library holds ten tools
 * or ten thousand.
 *
 * - When every tool fits, all of them (find_tools is left out: there is nothing more to find).
 * - Otherwise `find_tools` first (so BRICK can look for more), then the tools a find_tools call
 *   named in this turn (bound on the call after it: BRICK asked for them), then the tools already
 *   called in this thread (most recent first), then the library's best matches for the turn (the
 *   user's message and BRICK's own notes) until the limit is reached, leaving out weak matches
 *   (MATCH_SCORE_SHARE). Found tools take at most
 *   half of the slots after find_tools, used tools at most half of what is left, so the turn's
 *   own matches always get some.
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { FIND_TOOLS, namesFromFindTools } from "./find-tools.js";
import type { ToolRegistry } from "./types.js";

/**
 * A match is bound only when it scores at least this share of the best match: the tail of a
 * search shares a word or two with the request and costs prompt tokens on every call. Measured on
 * the library benchmark's query set: 0.4 binds 6 tools instead of 7.6 at 1,000 and 10,000 tools
 * with the same recall (0.5 starts losing hits).
 */
export const MATCH_SCORE_SHARE = 0.4;

/** What the selection needs to know about the conversation. */
export interface TurnContext {
  /** The text to match the library against: the user's message, then BRICK's notes and the forge's notes of this turn. */
  text: string;
  /** Tools called in this thread, most recent first (find_tools excluded). */
  used: string[];
  /** Tools that find_tools calls named in this turn, most recent call first. */
  found: string[];
}

export type SelectionReason = "all" | "find_tools" | "found" | "used" | "matched";

export interface ToolSelection {
  /** The tools to bind, in order. */
  names: string[];
  reasons: Record<string, SelectionReason>;
  /** Identifies this set of tools (for caching a model bound to it). */
  key: string;
}

/** How many tools one find_tools call names: as many as the next call binds for it. */
export function findToolsLimit(bindLimit: number): number {
  return Math.max(1, Math.ceil((bindLimit - 1) / 2));
}

function textOf(message: BaseMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  return content
    .map((part) => (typeof part === "string" ? part : part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .join(" ");
}

/**
 * The turn as the selection sees it. `isUserMessage` tells a user's message from other human
 * messages (the graph's forge notes); the current turn starts at the last user message. `offered`
 * are tools the forge installed or offered (found before forging) in this turn: bound like found ones.
 */
export function turnContext(
  messages: readonly BaseMessage[],
  isUserMessage: (message: BaseMessage) => boolean,
  offered: readonly string[] = [],
): TurnContext {
  let start = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (isUserMessage(messages[i]!)) {
      start = i;
      break;
    }
  }
  const turn = start === -1 ? [] : messages.slice(start);
  const text = turn
    .filter((m) => HumanMessage.isInstance(m) || AIMessage.isInstance(m))
    .map(textOf)
    .filter((t) => t.trim() !== "")
    .join("\n");
  const used: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (!AIMessage.isInstance(message)) continue;
    for (const call of [...(message.tool_calls ?? [])].reverse()) {
      if (call.name !== FIND_TOOLS && !used.includes(call.name)) used.push(call.name);
    }
  }
  const found: string[] = [...new Set(offered)];
  for (let i = turn.length - 1; i >= 0; i--) {
    const message = turn[i]!;
    if (!ToolMessage.isInstance(message) || message.name !== FIND_TOOLS) continue;
    for (const name of namesFromFindTools(textOf(message))) if (!found.includes(name)) found.push(name);
  }
  return { text, used, found };
}

export async function selectTools(registry: ToolRegistry, turn: TurnContext, limit: number): Promise<ToolSelection> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`the tool bind limit must be a whole number of 1 or more, not ${limit}`);
  const names: string[] = [];
  const reasons: Record<string, SelectionReason> = {};
  const add = (name: string, reason: SelectionReason) => {
    if (names.length >= limit || name in reasons) return false;
    names.push(name);
    reasons[name] = reason;
    return true;
  };
  const done = () => ({ names, reasons, key: names.join(",") });

  const hasFindTools = (await registry.get(FIND_TOOLS))?.origin === "builtin";
  const total = (await registry.count()) - (hasFindTools ? 1 : 0);
  if (total <= limit) {
    for (const tool of await registry.list()) if (tool.name !== FIND_TOOLS) add(tool.name, "all");
    return done();
  }

  if (hasFindTools) add(FIND_TOOLS, "find_tools");
  const share = findToolsLimit(limit);
  const exists = async (name: string) => name !== FIND_TOOLS && (await registry.get(name)) !== null;
  let taken = 0;
  for (const name of turn.found) {
    if (taken >= share) break;
    if ((await exists(name)) && add(name, "found")) taken++;
  }
  const usedShare = Math.floor((limit - names.length) / 2);
  taken = 0;
  for (const name of turn.used) {
    if (taken >= usedShare) break;
    if ((await exists(name)) && add(name, "used")) taken++;
  }
  if (names.length < limit && turn.text.trim() !== "") {
    const matches = await registry.search(turn.text, { limit: limit + names.length });
    const floor = MATCH_SCORE_SHARE * (matches[0]?.score ?? 0);
    for (const match of matches) if (match.name !== FIND_TOOLS && match.score >= floor) add(match.name, "matched");
  }
  return done();
}

/**
 * The tools to bind on this call, given those bound on the thread's last call: the earlier ones
 * stay, in their order, and the ones this turn wants that are not there yet are added at the end.
 * Only when that passes `limit` do earlier tools this turn does not want go, oldest first. Tool
 * definitions sit at the front of every prompt, so a set that changes from call to call makes the
 * model read the whole conversation again; a set that only grows keeps Ollama's prompt cache.
 * Tools that no longer exist are dropped.
 */
export async function keepBound(
  registry: ToolRegistry,
  previous: readonly string[],
  wanted: readonly string[],
  limit: number,
): Promise<string[]> {
  const names: string[] = [];
  for (const name of previous) if (!names.includes(name) && (await registry.get(name)) !== null) names.push(name);
  for (const name of wanted) if (!names.includes(name)) names.push(name);
  while (names.length > limit) {
    const stale = names.findIndex((name) => !wanted.includes(name));
    names.splice(stale === -1 ? names.length - 1 : stale, 1);
  }
  return names;
}
