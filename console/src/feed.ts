/**
 * The one /events connection of the page: every page reads the same feed. It keeps the last
 * KEEP events, reconnects after a dropped stream (with a growing pause), and stops for good when
 * the server refuses the key.
 */
import { ApiError, request } from "./api.js";
import { readSse } from "./sse.js";
import type { BusEvent } from "./types.js";

export type FeedStatus = "connecting" | "open" | "retrying" | "refused" | "stopped";

const KEEP = 1000;

export class EventFeed {
  events: BusEvent[] = [];
  status: FeedStatus = "connecting";
  private readonly changeListeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: BusEvent) => void>();
  private readonly controller = new AbortController();

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.controller.abort();
    this.setStatus("stopped");
  }

  /** Called after every change (new event, new status). */
  subscribe(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called with each new event as it arrives. */
  onEvent(listener: (event: BusEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  clear(): void {
    this.events = [];
    this.changed();
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let pause = 1000;
    while (!signal.aborted) {
      try {
        this.setStatus(this.status === "retrying" ? "retrying" : "connecting");
        const response = await request("/events", { signal });
        if (!response.body) throw new Error("the /events answer has no body");
        this.setStatus("open");
        pause = 1000;
        for await (const message of readSse(response.body)) this.receive(message.data);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.refused) {
          this.setStatus("refused");
          return;
        }
      }
      this.setStatus("retrying");
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 15_000);
    }
  }

  private receive(data: string): void {
    let event: BusEvent;
    try {
      event = JSON.parse(data) as BusEvent;
    } catch {
      return;
    }
    if (typeof event.type !== "string") return;
    this.events.push(event);
    if (this.events.length > KEEP) this.events.splice(0, this.events.length - KEEP);
    for (const listener of this.eventListeners) listener(event);
    this.changed();
  }

  private setStatus(status: FeedStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.changed();
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }
}
