/** Times, durations and short texts as the pages show them. */

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1) return "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Local date and time, to the second. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** The time of day alone, for the live stream. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString(undefined, { hour12: false });
}

export { truncate } from "../../src/util/text.js";

/** A size in bytes, short: "840 B", "12.3 kB", "1.0 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** One outside request of a tool call, on one line: "GET api.frankfurter.app → 200, 1.2 kB, 340 ms", or why it was refused. */
export function formatRequest(r: {
  host: string;
  method: string;
  status: number | null;
  bytes: number;
  duration_ms?: number;
  durationMs?: number;
  refused: string | null;
}): string {
  const took = formatMs(r.duration_ms ?? r.durationMs ?? 0);
  if (r.refused) return `${r.method} ${r.host} refused: ${r.refused}`;
  return `${r.method} ${r.host} → ${r.status ?? "no answer"}, ${formatBytes(r.bytes)}, ${took}`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "undefined";
}

export function shortHash(sha: string): string {
  return sha.slice(0, 12);
}
