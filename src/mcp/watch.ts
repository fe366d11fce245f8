/**
 * Tells connected MCP clients when the tool list changed, wherever it changed: this process's
 * forge (the event bus, for immediacy) or another process sharing the store (the store's registry
 * revision, polled while anyone listens: one cheap query per tick). A moved revision is only a
 * change when the listed tools differ (names, versions, descriptions, schemas): a method learned by
 * an object moves the revision too, and must not make every client re-list.
 */
import type { Diagnostics } from "../diagnostics.js";
import { errorMessage } from "../errors.js";
import type { EventBus, PublishedEvent } from "../events.js";
import type { Store } from "../store/types.js";
import type { RegisteredTool, ToolRegistry } from "../tools/types.js";

const DEFAULT_POLL_MS = 1_000;

export interface ToolListWatcherOptions {
  store: Pick<Store, "registryRevision">;
  registry: Pick<ToolRegistry, "list">;
  bus: EventBus;
  /** How often the store's revision is read while someone listens (default 1 s). */
  pollMs?: number;
  /** Where a failed check is reported (once per distinct problem, until a check succeeds). */
  diagnostics: Diagnostics;
}

/** Events after which the tool list may have changed in this process. */
function mayChangeTools(event: PublishedEvent): boolean {
  return event.type.startsWith("tool.") && event.type !== "tool.called";
}

export class ToolListWatcher {
  private readonly listeners = new Set<() => void>();
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribeBus: (() => void) | undefined;
  private revision: number | null = null;
  private signature: string | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private lastError: string | null = null;

  constructor(private readonly options: ToolListWatcherOptions) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  get listening(): number {
    return this.listeners.size;
  }

  /** Calls `listener` after every change of the tool list; returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.stop();
    };
  }

  /** Looks now (serialised: a request during a check runs one more check after it). */
  check(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.checkOnce();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private start(): void {
    this.unsubscribeBus = this.options.bus.subscribe((event) => {
      if (mayChangeTools(event)) void this.check();
    });
    this.timer = setInterval(() => void this.check(), this.pollMs);
    this.timer.unref();
    // The baseline: what the first listener's client is about to list.
    void this.check();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribeBus?.();
    this.unsubscribeBus = undefined;
    this.revision = null;
    this.signature = null;
  }

  private async checkOnce(): Promise<void> {
    try {
      const revision = await this.options.store.registryRevision();
      if (revision === this.revision) return;
      const signature = signatureOf(await this.options.registry.list());
      const first = this.signature === null;
      const changed = !first && signature !== this.signature;
      this.revision = revision;
      this.signature = signature;
      this.lastError = null;
      if (changed) for (const listener of [...this.listeners]) listener();
    } catch (error) {
      if (this.listeners.size === 0) return; // stopped (and perhaps the store closed) meanwhile
      const message = `the MCP tool list could not be checked for changes: ${errorMessage(error)}`;
      if (message !== this.lastError) this.options.diagnostics.warn("mcp", message);
      this.lastError = message;
    }
  }
}

function signatureOf(tools: readonly RegisteredTool[]): string {
  return JSON.stringify(tools.map((t) => [t.name, t.version, t.description, t.schema]));
}
