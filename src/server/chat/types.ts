/**
 * The chat service: one user turn through the agent graph, with progress as it happens. The HTTP
 * routes (/chat, /v1/chat/completions) and the CLI (`chat --local`, `ask --local`) all use it.
 */
import type { UsageSummary } from "../../personas/usage.js";
import { consentMessage, type ConsentRequest } from "../../tools/consent.js";
import { truncate } from "../../util/text.js";

/** What a turn cost: the model calls' tokens and Ollama's time, by who made them, and the times a person waited. */
export interface TurnUsage extends UsageSummary {
  /** From the request to the end of the turn, ms. */
  elapsedMs: number;
  /** From the request to the first token of the answer, ms (null: no token was streamed). */
  firstAnswerTokenMs: number | null;
}

/** A message of the conversation as a client sends it (OpenAI roles). */
export interface ChatInputMessage {
  role: "user" | "assistant";
  content: string;
}

export interface ChatTurnRequest {
  threadId: string;
  /**
   * The new messages for the thread, the user's last. A thread that continues sends just the new
   * user message (the checkpoint holds the rest); a fresh thread may carry the earlier turns.
   */
  messages: ChatInputMessage[];
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

/** What happens during a turn, in order, as it happens. */
export type ChatProgress =
  /** A piece of the final answer (ALFRED's words). */
  | { type: "answer"; text: string }
  /** A persona (brick, robin, babs) finished its part; `text` is what it said. */
  | { type: "persona"; persona: string; text: string }
  /** BRICK called a tool. */
  | { type: "tool_call"; name: string; args: unknown }
  /** A tool answered (or failed). */
  | { type: "tool_result"; name: string; ok: boolean; preview: string }
  /** The forge is at work (requested, started, an attempt, installed, reused, failed). */
  | { type: "forge"; stage: string; text: string; name?: string; version?: number }
  /** A tool needs hosts no person has granted: what it asks (the call was not made). */
  | { type: "consent"; request: ConsentRequest }
  /** Something else worth showing: a guard stopped a loop, a persona made a plan. */
  | { type: "notice"; text: string };

export interface ChatTurnResult {
  threadId: string;
  /** ALFRED's answer. */
  reply: string;
  /** Names of the tools called in this turn, in first-use order, without repeats. */
  toolsUsed: string[];
  /** Names of the tools forged and installed in this turn. */
  toolsCreated: string[];
  /** "length" when Ollama cut the answer at the length limit; "stop" (or absent) otherwise. */
  finishReason?: "stop" | "length";
  /** What the user should know about the turn (a model without tools, an answer cut short, …). */
  notices?: string[];
  /** The turn's model calls, summed from Ollama's own counts. */
  usage?: TurnUsage;
  /** What tools asked a person for this turn and did not get: grant it, then ask again. */
  consent?: ConsentRequest[];
}

export interface ChatService {
  run(request: ChatTurnRequest, onProgress?: (progress: ChatProgress) => void): Promise<ChatTurnResult>;
}

/** One line describing a progress event, for chat clients' reasoning pane and the CLI spinner. */
export function describeProgress(progress: ChatProgress): string {
  switch (progress.type) {
    case "answer":
      return progress.text;
    case "persona":
      return `${progress.persona.toUpperCase()}: ${progress.text}`;
    case "tool_call":
      return `calling ${progress.name}(${truncate(JSON.stringify(progress.args ?? {}), 200)})`;
    case "tool_result":
      return `${progress.name} ${progress.ok ? "→" : "failed:"} ${truncate(progress.preview, 200)}`;
    case "forge":
      return `forge: ${progress.text}`;
    case "consent":
      return consentMessage(progress.request);
    case "notice":
      return progress.text;
  }
}
