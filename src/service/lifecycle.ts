/**
 * What shutdown needs from a long-running face: a flag that /healthz reports, and the open
 * streams (server-sent events, MCP sessions) that would otherwise keep connections (and so the
 * server) open forever.
 */

/** Anything that ends like a stream. */
export interface Endable {
  end(): void;
}

export class Lifecycle {
  private stopping = false;
  private readonly streams = new Set<Endable>();

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Tracks a long-lived stream (or anything that ends like one: an MCP session) until it closes. */
  track(stream: Endable, res: { on(event: "close", listener: () => void): unknown }): void {
    this.streams.add(stream);
    res.on("close", () => this.streams.delete(stream));
  }

  /** Marks the server as stopping and ends every tracked stream. */
  beginShutdown(): void {
    this.stopping = true;
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }
}
