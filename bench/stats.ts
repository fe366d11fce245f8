/** Timing helpers shared by every benchmark: measure a function N times and summarise. */
export interface BenchRow {
  /** Which area the row belongs to, e.g. "sandbox", "store". */
  group: string;
  name: string;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
  /** Anything else worth printing (concurrency, notes). */
  note?: string;
  /** Throughput rows: completed calls per second over the row's duration. */
  perSecond?: number;
  /** Throughput rows: calls that failed. */
  failed?: number;
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index]!;
}

export function summarise(group: string, name: string, samplesMs: number[], note?: string): BenchRow {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    group,
    name,
    runs: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    minMs: round(sorted[0] ?? NaN),
    maxMs: round(sorted.at(-1) ?? NaN),
    ...(note ? { note } : {}),
  };
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times measured, one after another. */
export async function measure(
  group: string,
  name: string,
  fn: () => Promise<unknown> | unknown,
  options: { runs?: number; warmup?: number; note?: string } = {},
): Promise<BenchRow> {
  const { runs = 20, warmup = 2 } = options;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return summarise(group, name, samples, options.note);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function formatTable(rows: BenchRow[]): string {
  const header = ["group", "benchmark", "runs", "p50 ms", "p95 ms", "min ms", "max ms", "calls/s", "note"];
  const body = rows.map((r) => [
    r.group,
    r.name,
    String(r.runs),
    fmt(r.p50Ms),
    fmt(r.p95Ms),
    fmt(r.minMs),
    fmt(r.maxMs),
    r.perSecond === undefined ? "" : r.perSecond.toFixed(2),
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(header), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : "-";
}
