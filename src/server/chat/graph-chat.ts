/**
 * The ChatService on the agent graph: one `graph.stream` per turn on the thread's checkpoint,
 * with stream modes "messages" (ALFRED's tokens become the answer), "updates" (what each persona
 * said), "custom" (tool calls and the forge's progress, see src/graph/events.ts) and "values"
 * (the final state: the answer, the tools used and created).
 */
import { AIMessage, AIMessageChunk, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { GraphStreamEvent } from "../../graph/events.js";
import type { ChatInputMessage, ChatProgress, ChatService, ChatTurnResult } from "./types.js";

/** What the chat service needs of the compiled graph (createGraph's result has it). */
export interface StreamingGraph {
  stream(
    input: { messages: BaseMessage[] },
    options: {
      configurable: { thread_id: string };
      streamMode: ("messages" | "updates" | "custom" | "values")[];
      signal?: AbortSignal;
    },
  ): Promise<AsyncIterable<unknown>>;
}

/** The personas whose words are notes on the way (ALFRED's are the answer). */
const NOTE_PERSONAS = new Set(["brick", "robin", "babs"]);
const ANSWER_NODE = "alfred";

interface FinalState {
  answer?: string | null;
  messages?: BaseMessage[];
  toolsUsed?: string[];
  toolsCreated?: string[];
}

export function createGraphChatService(graph: StreamingGraph): ChatService {
  return {
    async run(request, onProgress) {
      const emit = onProgress ?? (() => undefined);
      const stream = await graph.stream(
        { messages: request.messages.map(toMessage) },
        {
          configurable: { thread_id: request.threadId },
          streamMode: ["messages", "updates", "custom", "values"],
          ...(request.signal ? { signal: request.signal } : {}),
        },
      );
      let final: FinalState = {};
      let streamedAnswer = "";
      for await (const item of stream) {
        if (!Array.isArray(item) || item.length !== 2) continue;
        const [mode, payload] = item as [string, unknown];
        if (mode === "values") final = payload as FinalState;
        else if (mode === "messages") streamedAnswer += answerToken(payload, streamedAnswer !== "", emit);
        else if (mode === "updates") personaNotes(payload, emit);
        else if (mode === "custom") {
          const progress = fromGraphEvent(payload as GraphStreamEvent);
          if (progress) emit(progress);
        }
      }
      return resultOf(request.threadId, final, streamedAnswer);
    },
  };
}

function toMessage(message: ChatInputMessage): BaseMessage {
  return message.role === "user"
    ? new HumanMessage({ content: message.content })
    : new AIMessage({ content: message.content, name: ANSWER_NODE });
}

function textOf(message: BaseMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  return content.map((part) => (typeof part === "string" ? part : part.type === "text" && typeof part.text === "string" ? part.text : "")).join("");
}

/** An ALFRED token from "messages" mode: emitted as answer text; returns the text emitted. */
function answerToken(payload: unknown, alreadyStreaming: boolean, emit: (p: ChatProgress) => void): string {
  if (!Array.isArray(payload)) return "";
  const [message, metadata] = payload as [BaseMessage, { langgraph_node?: string } | undefined];
  if (metadata?.langgraph_node !== ANSWER_NODE) return "";
  // A whole message after its tokens is the same answer again; without tokens it is the answer.
  if (!AIMessageChunk.isInstance(message) && (alreadyStreaming || !AIMessage.isInstance(message))) return "";
  const text = textOf(message);
  if (text) emit({ type: "answer", text });
  return text;
}

/** What BRICK, ROBIN and BABS said, from "updates" mode (one entry per finished node). */
function personaNotes(payload: unknown, emit: (p: ChatProgress) => void): void {
  if (typeof payload !== "object" || payload === null) return;
  for (const [node, update] of Object.entries(payload as Record<string, { messages?: BaseMessage[] } | undefined>)) {
    if (!NOTE_PERSONAS.has(node)) continue;
    for (const message of update?.messages ?? []) {
      if (!AIMessage.isInstance(message)) continue;
      const text = textOf(message).trim();
      if (text) emit({ type: "persona", persona: node, text });
    }
  }
}

/** The graph's custom events as progress (null: not shown). */
export function fromGraphEvent(event: GraphStreamEvent): ChatProgress | null {
  switch (event.type) {
    case "tool.calling":
      return { type: "tool_call", name: event.name, args: event.args };
    case "tool.result":
      return { type: "tool_result", name: event.name, ok: event.ok, preview: event.ok ? `done in ${Math.round(event.durationMs)} ms` : (event.error ?? "failed") };
    case "forge.requested":
      return { type: "forge", stage: "requested", text: `BRICK asked for a new tool: ${event.spec}` };
    case "forge.started":
      return { type: "forge", stage: "started", text: `forging a ${event.kind}: ${event.spec}` };
    case "forge.attempt":
      return {
        type: "forge",
        stage: "attempt",
        text: `attempt ${event.attempt} ${event.outcome}${event.outcome === "failed" ? ` at ${event.stage}${event.failure ? `: ${event.failure}` : ""}` : ""}`,
      };
    case "tool.created":
      return { type: "forge", stage: "installed", text: `installed ${event.name} v${event.version}`, name: event.name, version: event.version };
    case "forge.reused":
      return { type: "forge", stage: "reused", text: `reusing ${event.name} v${event.version}`, name: event.name, version: event.version };
    case "forge.failed":
      return { type: "forge", stage: "failed", text: `forging failed: ${event.reason}` };
    case "guard":
      return { type: "notice", text: event.message };
    case "plan":
      return { type: "notice", text: `${event.persona.toUpperCase()} made a plan` };
    case "plan.failed":
      return { type: "notice", text: `${event.persona.toUpperCase()} answered without a plan: ${event.error}` };
    default:
      return null;
  }
}

function resultOf(threadId: string, final: FinalState, streamedAnswer: string): ChatTurnResult {
  const lastAlfred = [...(final.messages ?? [])].reverse().find((m) => AIMessage.isInstance(m) && m.name === ANSWER_NODE);
  const reply = final.answer ?? (lastAlfred ? textOf(lastAlfred) : streamedAnswer);
  return {
    threadId,
    reply,
    toolsUsed: [...new Set(final.toolsUsed ?? [])],
    toolsCreated: [...new Set(final.toolsCreated ?? [])],
  };
}
