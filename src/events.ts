/**
 * The in-process event bus that the forge, registry, objects and graph publish to and that the
 * server (`GET /events`) and the CLI subscribe to. Transient: durable history is the store's
 * append-only event log.
 */
import { EventEmitter } from "node:events";
import { processDiagnostics, type Diagnostics } from "./diagnostics.js";

export type ToolForgeEvent =
  | { type: "forge.started"; runId: string; kind: "tool" | "method"; spec: string; target: string | null }
  | {
      type: "forge.attempt";
      runId: string;
      attempt: number;
      stage: string;
      outcome: "passed" | "failed";
      /** First line of the failure, when it failed. */
      failure: string | null;
    }
  | { type: "tool.created"; runId: string; name: string; version: number }
  | { type: "forge.reused"; runId: string; name: string; version: number }
  | { type: "forge.failed"; runId: string; reason: string }
  | {
      type: "tool.called";
      name: string;
      /** The version called (a built-in's is 1); null when there is no such tool. */
      version: number | null;
      durationMs: number;
      outcome: "ok" | "error";
      error?: string;
      /** The arguments and (when it answered) the result, each a one-line preview cut to PREVIEW_CHARS. */
      args: string;
      result?: string;
      /** The outside requests the call made through the host, in order (none: the key is left out). */
      requests?: OutsideRequestRecord[];
    }
  | { type: "tool.rolled_back"; name: string; version: number }
  /** A person answered a tool's request for a host (never with a credential). */
  | { type: "tool.granted" | "tool.denied"; name: string; version: number; host: string; onlyThisVersion: boolean }
  | { type: "tool.revoked"; name: string; host: string }
  /** One outside request a tool made through the host (never its headers or body). */
  | ({ type: "tool.request"; name: string; version: number } & OutsideRequestRecord)
  /** A hand-written module passed validation and was installed (`toolforge tools add`, POST /tools). */
  | { type: "tool.added"; name: string; version: number }
  | { type: "method.learned"; runId: string; objectId: string; selector: string; version: number }
  /** `forgeRunId`: the forge run the message started, when it made the object learn (or try to learn) a method. */
  | { type: "message.finished"; messageId: string; status: "done" | "failed"; forgeRunId?: string | null }
  /** A chat turn through the agent (any surface: /chat, /v1/chat/completions); `message` is the user's words, cut to 200 characters. */
  | { type: "turn.started"; threadId: string; message: string }
  | { type: "turn.finished"; threadId: string; durationMs: number; toolsUsed: string[]; toolsCreated: string[] }
  | { type: "turn.failed"; threadId: string; durationMs: number; error: string }
  /** Something the turn reported on the way that is neither a tool call nor the forge: a guard that stopped a loop, a plan. */
  | { type: "turn.notice"; threadId: string; text: string }
  /** Ollama read far fewer prompt tokens than a persona's request held: the start of the prompt was cut. */
  | { type: "model.context_truncated"; persona: string; model: string; numCtx: number; estimatedTokens: number; promptEvalCount: number };

export type ToolForgeEventType = ToolForgeEvent["type"];

/** One outside request of a tool call, as people see it: never a path, a query, a header or a body. */
export interface OutsideRequestRecord {
  host: string;
  method: string;
  status: number | null;
  bytes: number;
  durationMs: number;
  /** Why the host refused it, when it did. */
  refused: string | null;
}

/** An event as delivered: with the time it was published. */
export type PublishedEvent = ToolForgeEvent & { at: string };

export class EventBus {
  private readonly emitter = new EventEmitter();

  /** `diagnostics`: where a subscriber that throws is reported (the runtime's channel; default: process warnings). */
  constructor(private readonly diagnostics: Diagnostics = processDiagnostics) {
    // Every SSE client and CLI subscribes; more than 10 is normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  publish(event: ToolForgeEvent): void {
    const published: PublishedEvent = { ...event, at: new Date().toISOString() };
    this.emitter.emit("event", published);
  }

  /** Subscribes to every event; returns the function that unsubscribes. */
  subscribe(listener: (event: PublishedEvent) => void): () => void {
    const safe = (event: PublishedEvent) => {
      try {
        listener(event);
      } catch (error) {
        // A failing subscriber must not break the publisher (the forge or the graph).
        this.diagnostics.warn("events", `event subscriber failed on ${event.type}: ${String(error)}`);
      }
    };
    this.emitter.on("event", safe);
    return () => this.emitter.off("event", safe);
  }
}
