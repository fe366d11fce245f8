/**
 * Dataset examples from the conversations kept in the checkpoints: every persona turn (an AI
 * message named brick, robin, babs or alfred) becomes one example — the team's prompt and the
 * transcript the persona was given (src/graph/conversation.ts: the conversation so far, its cue
 * last) → what it said.
 * The latest checkpoint of each thread holds the whole conversation.
 */
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { PersonaName } from "../config.js";
import { transcript } from "../graph/conversation.js";
import { PERSONAS } from "../personas/registry.js";
import { TEAM_PROMPT } from "../personas/team.js";
import type { Store } from "../store/types.js";
import { toChatMessage, toChatMessages, type ChatExample, type ChatMessage } from "./chat-format.js";

export async function personaExamples(store: Store, options: { persona?: PersonaName } = {}): Promise<ChatExample[]> {
  const examples: ChatExample[] = [];
  for (const messages of await latestConversations(store)) {
    messages.forEach((message, index) => {
      if (!AIMessage.isInstance(message) || !isPersona(message.name)) return;
      if (options.persona && message.name !== options.persona) return;
      const reply = toChatMessage(message);
      if (!reply || (reply.role === "assistant" && !reply.content.trim() && !reply.tool_calls)) return;
      const system: ChatMessage = { role: "system", content: TEAM_PROMPT };
      examples.push({ messages: [system, ...toChatMessages(transcript(messages.slice(0, index))), reply] });
    });
  }
  return examples;
}

/** The messages of the newest root checkpoint of every thread. */
async function latestConversations(store: Store): Promise<BaseMessage[][]> {
  const seen = new Set<string>();
  const out: BaseMessage[][] = [];
  for await (const tuple of store.checkpointer().list({ configurable: {} })) {
    const configurable = tuple.config.configurable ?? {};
    const thread = String(configurable["thread_id"] ?? "");
    if ((configurable["checkpoint_ns"] ?? "") !== "" || seen.has(thread)) continue;
    seen.add(thread);
    const messages = (tuple.checkpoint.channel_values as { messages?: unknown }).messages;
    if (Array.isArray(messages)) out.push(messages.filter(isMessage));
  }
  return out;
}

function isPersona(name: string | undefined): name is PersonaName {
  return name !== undefined && Object.hasOwn(PERSONAS, name);
}

function isMessage(value: unknown): value is BaseMessage {
  return typeof value === "object" && value !== null && "content" in value && typeof (value as BaseMessage).getType === "function";
}
