/**
 * Tool calls and finished object messages, kept: the event bus forgets, so the server writes the
 * `tool.called` and `message.finished` events it sees into the store's append-only event log, and
 * reads them back as a small read model — per tool, how many calls and failures and the recent
 * ones; per object, its recent messages. The read model catches up from the log (by sequence
 * number) before every read, so it is exact whoever wrote the log, and it never holds more than
 * the last RECENT_LIMIT entries per tool and per object.
 */
import type { Logger } from "pino";
import { errorMessage } from "../../errors.js";
import type { EventBus, OutsideRequestRecord, PublishedEvent } from "../../events.js";
import { normaliseObjectId } from "../../store/ids.js";
import type { JsonObject, Store, StoredEvent } from "../../store/types.js";

/** The event types written to the store's log (their payloads are below). */
const TOOL_CALL_EVENT = "tool.called";
const MESSAGE_EVENT = "message.finished";

/** Recent entries kept per tool and per object. */
export const RECENT_LIMIT = 100;
const PAGE = 1_000;

export interface ToolCallEntry {
  at: string;
  outcome: "ok" | "error";
  durationMs: number;
  error: string | null;
  /** The version called, as the tool.called event says (null: the tool was unknown). */
  version: number | null;
  /** The arguments and the result, as one-line previews (null: not recorded, e.g. before they were). */
  args: string | null;
  result: string | null;
  /** The outside requests the call made through the host (none for most calls). */
  requests: OutsideRequestRecord[];
}

export interface ToolCallStats {
  calls: number;
  failures: number;
  /** Newest first. */
  recent: ToolCallEntry[];
}

/** A finished message of an object, as the journal keeps it. */
export interface MessageEntry {
  messageId: string;
  /** The forge run the message started (it taught the object a method, or failed to). */
  forgeRunId: string | null;
}

export interface ActivityJournal {
  toolCalls(name: string): Promise<ToolCallStats>;
  /** The object's recent finished messages, newest first. */
  recentMessages(objectId: string): Promise<MessageEntry[]>;
  /** Resolves when every event seen so far is written (tests and shutdown). */
  flushed(): Promise<void>;
  /** Stops recording. */
  stop(): void;
}

export function createActivityJournal(store: Store, bus: EventBus, logger?: Logger): ActivityJournal {
  const pending = new Set<Promise<void>>();
  const record = (event: PublishedEvent) => {
    const write = payloadOf(store, event)
      .then((payload) => (payload ? store.appendEvent(event.type, payload).then(() => undefined) : undefined))
      .catch((error: unknown) => logger?.warn({ event: event.type, reason: errorMessage(error) }, "could not record an event"))
      .finally(() => pending.delete(write));
    pending.add(write);
  };
  const unsubscribe = bus.subscribe(record);

  const tools = new Map<string, ToolCallStats>();
  const objects = new Map<string, MessageEntry[]>();
  let lastSeq = 0;
  let catchingUp: Promise<void> | null = null;

  function apply(event: StoredEvent): void {
    const p = event.payload;
    if (event.type === TOOL_CALL_EVENT && typeof p.name === "string") {
      const stats = tools.get(p.name) ?? { calls: 0, failures: 0, recent: [] };
      const outcome = p.outcome === "ok" ? "ok" : "error";
      stats.calls += 1;
      if (outcome === "error") stats.failures += 1;
      stats.recent.unshift({
        at: event.createdAt,
        outcome,
        durationMs: typeof p.durationMs === "number" ? p.durationMs : 0,
        error: typeof p.error === "string" ? p.error : null,
        version: typeof p.version === "number" ? p.version : null,
        args: typeof p.args === "string" ? p.args : null,
        result: typeof p.result === "string" ? p.result : null,
        requests: Array.isArray(p.requests) ? (p.requests as unknown as OutsideRequestRecord[]) : [],
      });
      stats.recent.length = Math.min(stats.recent.length, RECENT_LIMIT);
      tools.set(p.name, stats);
    } else if (event.type === MESSAGE_EVENT && typeof p.targetId === "string" && typeof p.messageId === "string") {
      const entries = objects.get(p.targetId) ?? [];
      entries.unshift({ messageId: p.messageId, forgeRunId: typeof p.forgeRunId === "string" ? p.forgeRunId : null });
      entries.length = Math.min(entries.length, RECENT_LIMIT);
      objects.set(p.targetId, entries);
    }
  }

  async function readNewEvents(): Promise<void> {
    for (;;) {
      const page = await store.listEvents({ afterSeq: lastSeq, limit: PAGE });
      for (const event of page) {
        apply(event);
        lastSeq = event.seq;
      }
      if (page.length < PAGE) return;
    }
  }

  /** One catch-up at a time; a read that arrives during one waits for it, then catches up again. */
  async function catchUp(): Promise<void> {
    while (catchingUp) await catchingUp;
    catchingUp = readNewEvents().finally(() => {
      catchingUp = null;
    });
    await catchingUp;
  }

  return {
    async toolCalls(name) {
      await catchUp();
      const stats = tools.get(name);
      return stats ? { ...stats, recent: [...stats.recent] } : { calls: 0, failures: 0, recent: [] };
    },
    async recentMessages(objectId) {
      await catchUp();
      return [...(objects.get(normaliseObjectId(objectId)) ?? [])];
    },
    async flushed() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stop: unsubscribe,
  };
}

/** What is written for an event (null: not recorded). */
async function payloadOf(store: Store, event: PublishedEvent): Promise<JsonObject | null> {
  if (event.type === "tool.called") {
    return {
      name: event.name,
      outcome: event.outcome,
      durationMs: event.durationMs,
      error: event.error ?? null,
      version: event.version,
      args: event.args,
      result: event.result ?? null,
      ...(event.requests ? { requests: event.requests as unknown as JsonObject[] } : {}),
    };
  }
  if (event.type === "message.finished") {
    const message = await store.getMessage(event.messageId);
    if (!message) return null;
    return {
      messageId: message.id,
      targetId: normaliseObjectId(message.targetId),
      selector: message.selector,
      status: event.status,
      forgeRunId: event.forgeRunId ?? null,
    };
  }
  return null;
}
