/**
 * The server's health as the header shows it: GET /healthz every POLL_MS, more often while
 * something is wrong, and at once when a page asks (e.g. after a turn failed); read into ok,
 * degraded (with the checks that failed, each with its hint) or down (the server does not answer,
 * or is shutting down).
 */
import { ApiError, request, serverDownMessage } from "./api.js";

export interface HealthCheck {
  ok: boolean;
  detail: string;
  hint?: string;
}

export type HealthState =
  | { status: "checking" }
  | { status: "ok" }
  | { status: "degraded"; failing: [name: string, check: HealthCheck][] }
  | { status: "down"; reason: string };

/** How often to ask while all is well, and while something is wrong (to see it come back soon). */
const POLL_MS = 15_000;
const POLL_WHILE_WRONG_MS = 5_000;

export class HealthMonitor {
  state: HealthState = { status: "checking" };
  /** How many times the server answered again after not answering (pages load again then). */
  cameBack = 0;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private running: Promise<void> | null = null;
  private suspect = false;

  start(): this {
    void this.check();
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Asks the server now (a check already under way is shared). `suspect`: something just failed
   * (a turn, a stream), so ask again soon too: the server caches its probes for a few seconds.
   */
  check(options: { suspect?: boolean } = {}): Promise<void> {
    if (options.suspect) this.suspect = true;
    this.running ??= this.read().finally(() => {
      this.running = null;
      clearTimeout(this.timer);
      const soon = this.suspect || this.state.status !== "ok";
      this.suspect = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.check(), soon ? POLL_WHILE_WRONG_MS : POLL_MS);
    });
    return this.running;
  }

  private async read(): Promise<void> {
    let next: HealthState;
    try {
      const report = (await (await request("/healthz")).json()) as { status: string; checks?: Record<string, HealthCheck> };
      const failing = Object.entries(report.checks ?? {}).filter(([, check]) => !check.ok);
      next = report.status === "ok" ? { status: "ok" } : { status: "degraded", failing };
    } catch (error) {
      if (error instanceof ApiError && error.status === 503) next = { status: "down", reason: "The server is shutting down." };
      else if (error instanceof ApiError && !error.unreachable)
        next = { status: "degraded", failing: [["server", { ok: false, detail: error.message }]] };
      else next = { status: "down", reason: serverDownMessage() };
    }
    if (this.stopped) return;
    if (this.state.status === "down" && next.status !== "down") this.cameBack += 1;
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}
