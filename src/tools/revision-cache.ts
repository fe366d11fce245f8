/**
 * What the registry read from the store for one registry revision — the tool count, the list, each
 * forged tool's active version — kept until the revision moves, then dropped whole. A read keeps
 * the revision it started at: a read that races a newer refresh fills the old revision's entries
 * (thrown away), never the newer one's.
 */
import type { RegisteredTool } from "./types.js";

interface Reads {
  revision: number;
  count?: number;
  list?: readonly RegisteredTool[];
  /** Forged tools as the store described them (null: no such tool). */
  tools: Map<string, RegisteredTool | null>;
}

export class RevisionCache {
  private reads: Reads = { revision: -1, tools: new Map() };

  constructor(private readonly maxTools: number) {}

  /** The tool count at `revision`, read once. */
  count(revision: number, read: () => Promise<number>): Promise<number> {
    return this.once(revision, "count", read);
  }

  /** The tool list at `revision`, read once. */
  list(revision: number, read: () => Promise<readonly RegisteredTool[]>): Promise<readonly RegisteredTool[]> {
    return this.once(revision, "list", read);
  }

  /** A forged tool's active version at `revision`, read once (the most recent `maxTools` kept). */
  async tool(revision: number, name: string, read: () => Promise<RegisteredTool | null>): Promise<RegisteredTool | null> {
    const reads = this.at(revision);
    if (reads.tools.has(name)) return reads.tools.get(name)!;
    const tool = await read();
    if (reads.tools.size >= this.maxTools) reads.tools.delete(reads.tools.keys().next().value!);
    reads.tools.set(name, tool);
    return tool;
  }

  private async once<K extends "count" | "list">(
    revision: number,
    key: K,
    read: () => Promise<NonNullable<Reads[K]>>,
  ): Promise<NonNullable<Reads[K]>> {
    const reads = this.at(revision);
    const known = reads[key];
    if (known !== undefined) return known;
    const value = await read();
    reads[key] = value;
    return value;
  }

  /** The reads of `revision`: the current ones, fresh ones when it moved on, or throwaway ones for an older revision. */
  private at(revision: number): Reads {
    if (revision === this.reads.revision) return this.reads;
    const fresh: Reads = { revision, tools: new Map() };
    if (revision > this.reads.revision) this.reads = fresh;
    return fresh;
  }
}
