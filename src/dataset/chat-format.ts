/**
 * The chat format of the dataset, one JSON object per line: `{"messages": [{role, content}, …]}` —
 * what common fine-tuning trainers read (OpenAI-style; assistant tool calls as `tool_calls`, tool
 * results as role "tool"). Conversions from LangChain messages live here.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string; tool_calls?: ChatToolCall[] }
  | { role: "tool"; content: string; tool_call_id: string; name?: string };

export interface ChatExample {
  messages: ChatMessage[];
}

function textContent(content: BaseMessage["content"]): string {
  if (typeof content === "string") return content;
  return content
    .map((part) => (typeof part === "string" ? part : part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** A LangChain message as a chat-format message (null for kinds the format has no place for). */
export function toChatMessage(message: BaseMessage): ChatMessage | null {
  const content = textContent(message.content);
  if (SystemMessage.isInstance(message)) return { role: "system", content };
  if (HumanMessage.isInstance(message)) return { role: "user", content };
  if (ToolMessage.isInstance(message)) {
    return { role: "tool", content, tool_call_id: message.tool_call_id, ...(message.name ? { name: message.name } : {}) };
  }
  if (AIMessage.isInstance(message)) {
    const calls = (message.tool_calls ?? []).map((call, index) => ({
      id: call.id ?? `call_${index}`,
      type: "function" as const,
      function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
    }));
    return calls.length > 0 ? { role: "assistant", content, tool_calls: calls } : { role: "assistant", content };
  }
  return null;
}

export function toChatMessages(messages: BaseMessage[]): ChatMessage[] {
  return messages.map(toChatMessage).filter((m): m is ChatMessage => m !== null);
}
