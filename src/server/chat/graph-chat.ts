/**
 * The ChatService on the agent graph: one `graph.stream` per turn on the thread's checkpoint,
 * with stream modes "messages" (ALFRED's tokens become the answer), "updates" (what each persona
 * said), "custom" (tool calls and the forge's progress, see src/graph/events.ts) and "values"
 * (the final state: the answer, the tools used and created).
 */
import { AIMessage, AIMessageChunk, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { GraphStreamEvent } from "../../graph/events.js";
import { summariseUsage, type ModelCallUsage } from "../../personas/usage.js";
import type { ConsentRequest } from "../../tools/consent.js";
import { visibleWhileStreaming, withoutThinking } from "../../util/thinking.js";
import type { ChatInputMessage, ChatProgress, ChatService, ChatTurnResult } from "./types.js";

/** What the chat service needs of the compiled graph (createGraph's result has it). */
export interface StreamingGraph {
  stream(
    input: { messages: BaseMessage[] },
    options: {
      configurable: { thread_id: string; consent?: "ask" | "explain" };
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
  finishReason?: "stop" | "length" | null;
  notices?: string[];
  usage?: { calls?: ModelCallUsage[] };
  consentRequests?: ConsentRequest[];
}

export function createGraphChatService(graph: StreamingGraph): ChatService {
  return {
    async run(request, onProgress) {
      const started = performance.now();
      let firstAnswerTokenMs: number | null = null;
      const emit = (progress: ChatProgress) => {
        if (progress.type === "answer" && firstAnswerTokenMs === null) firstAnswerTokenMs = performance.now() - started;
        onProgress?.(progress);
      };
      const stream = await graph.stream(
        { messages: request.messages.map(toMessage) },
        {
          // Its clients cannot answer an interrupt: a tool that needs a grant is explained, and the next turn proceeds once granted.
          configurable: { thread_id: request.threadId, consent: "explain" },
          streamMode: ["messages", "updates", "custom", "values"],
          ...(request.signal ? { signal: request.signal } : {}),
        },
      );
      let final: FinalState = {};
      const answer = new AnswerStream(emit);
      for await (const item of stream) {
        if (!Array.isArray(item) || item.length !== 2) continue;
        const [mode, payload] = item as [string, unknown];
        if (mode === "values") final = payload as FinalState;
        else if (mode === "messages") answer.take(payload);
        else if (mode === "updates") personaNotes(payload, emit);
        else if (mode === "custom") {
          const progress = fromGraphEvent(payload as GraphStreamEvent);
          if (progress) emit(progress);
        }
      }
      const timing = { elapsedMs: Math.round(performance.now() - started), firstAnswerTokenMs: roundOrNull(firstAnswerTokenMs) };
      return resultOf(request.threadId, final, answer.text, timing);
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
  return content
    .map((part) => (typeof part === "string" ? part : part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .join("");
}

/**
 * ALFRED's words from "messages" mode, emitted as answer text as they come: the tokens of his
 * model call, or his whole message when no tokens came (a fallback answer). Thinking written into
 * the content (`<think>…</think>`) is held back: it is never part of the answer. When a reply is
 * interrupted and asked for again (a new model call: a new message id), what was streamed cannot
 * be taken back: the new reply follows it after a blank line (the final result holds only the new one).
 */
class AnswerStream {
  /** What was emitted as the answer. */
  text = "";
  private base = "";
  private raw = "";
  private callId: string | undefined;
  private sawTokens = false;

  constructor(private readonly emit: (p: ChatProgress) => void) {}

  take(payload: unknown): void {
    if (!Array.isArray(payload)) return;
    const [message, metadata] = payload as [BaseMessage, { langgraph_node?: string } | undefined];
    if (metadata?.langgraph_node !== ANSWER_NODE) return;
    if (AIMessageChunk.isInstance(message)) {
      if (this.sawTokens && message.id !== this.callId) {
        this.base = this.text ? `${this.text}\n\n` : "";
        this.raw = "";
      }
      this.sawTokens = true;
      this.callId = message.id;
      this.raw += textOf(message);
      const visible = visibleWhileStreaming(this.raw);
      if (visible) this.flush(this.base + visible);
    } else if (AIMessage.isInstance(message) && !this.sawTokens && !this.text) {
      // A whole message after its tokens is the same answer again; without tokens it is the answer.
      this.flush(withoutThinking(textOf(message)));
    }
  }

  private flush(visible: string): void {
    if (!visible.startsWith(this.text) || visible.length === this.text.length) return;
    const piece = visible.slice(this.text.length);
    this.text = visible;
    this.emit({ type: "answer", text: piece });
  }
}

/** What BRICK, ROBIN and BABS said, from "updates" mode (one entry per finished node). */
function personaNotes(payload: unknown, emit: (p: ChatProgress) => void): void {
  if (typeof payload !== "object" || payload === null) return;
  for (const [node, update] of Object.entries(payload as Record<string, { messages?: BaseMessage[] } | undefined>)) {
    if (!NOTE_PERSONAS.has(node)) continue;
    for (const message of update?.messages ?? []) {
      if (!AIMessage.isInstance(message)) continue;
      const text = withoutThinking(textOf(message));
      if (text) emit({ type: "persona", persona: node, text });
    }
  }
}

/** The graph's custom events as progress (null: not shown). */
function fromGraphEvent(event: GraphStreamEvent): ChatProgress | null {
  switch (event.type) {
    case "tool.calling":
      return { type: "tool_call", name: event.name, args: event.args };
    case "tool.result":
      return {
        type: "tool_result",
        name: event.name,
        ok: event.ok,
        preview: event.ok ? `${event.result ?? "done"} (${Math.round(event.durationMs)} ms)` : (event.error ?? "failed"),
      };
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
      return {
        type: "forge",
        stage: "installed",
        text: `installed ${event.name} v${event.version}`,
        name: event.name,
        version: event.version,
      };
    case "forge.reused":
      return { type: "forge", stage: "reused", text: `reusing ${event.name} v${event.version}`, name: event.name, version: event.version };
    case "forge.failed":
      return { type: "forge", stage: "failed", text: `forging failed: ${event.reason}` };
    case "guard":
      return { type: "notice", text: event.message };
    case "consent.requested":
      return { type: "consent", request: event.request };
    case "plan":
      return { type: "notice", text: `${event.persona.toUpperCase()} made a plan` };
    case "plan.failed":
      return { type: "notice", text: `${event.persona.toUpperCase()} answered without a plan: ${event.error}` };
    case "notice":
      return { type: "notice", text: event.text };
    case "model.retry":
      return {
        type: "notice",
        text: `${event.persona.toUpperCase()}'s reply ${event.problem === "empty" ? "was empty" : "was interrupted"}; asking ${event.model} once more`,
      };
    case "context.fitted":
      return {
        type: "notice",
        text: `${event.persona.toUpperCase()}: ${event.droppedMessages ? `${event.droppedMessages} older message${event.droppedMessages === 1 ? "" : "s"} left out` : "long notes clipped"} to fit the context window of ${event.model} (${event.numCtx} tokens)`,
      };
    case "context.truncated":
      return {
        type: "notice",
        text: `${event.persona.toUpperCase()}: Ollama read only ${event.promptEvalCount} of about ${event.estimatedTokens} prompt tokens (${event.model}, num_ctx ${event.numCtx}): the start of the prompt was cut`,
      };
    default:
      return null;
  }
}

function roundOrNull(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms);
}

function resultOf(
  threadId: string,
  final: FinalState,
  streamedAnswer: string,
  timing: { elapsedMs: number; firstAnswerTokenMs: number | null },
): ChatTurnResult {
  const lastAlfred = [...(final.messages ?? [])].reverse().find((m) => AIMessage.isInstance(m) && m.name === ANSWER_NODE);
  const reply = final.answer ?? (lastAlfred ? withoutThinking(textOf(lastAlfred)) : streamedAnswer);
  return {
    threadId,
    reply,
    toolsUsed: [...new Set(final.toolsUsed ?? [])],
    toolsCreated: [...new Set(final.toolsCreated ?? [])],
    finishReason: final.finishReason === "length" ? "length" : "stop",
    notices: final.notices ?? [],
    usage: { ...summariseUsage(final.usage?.calls ?? []), ...timing },
    consent: final.consentRequests ?? [],
  };
}
