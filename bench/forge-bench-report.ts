/**
 * The forge benchmark's numbers: what one problem's run came to (ProblemOutcome), the per-model
 * summary computed from those outcomes, the JSON written under bench/results/, and the table that
 * puts one or several models side by side (one column per model, best pass@1 first). The composite
 * mode (`--composite`) has its own outcome, summary and table at the end of this file.
 */
import { percentile } from "./stats.js";

/** Where a problem's run stopped. The forge gave up at one of its stages, or installed a tool that failed afterwards. */
export type Stop =
  | "solved"
  /** The forge gave up: the last attempt's reply held no module. */
  | "extract"
  /** … the module did not compile. */
  | "transpile"
  /** … the static audit refused the module. */
  | "audit"
  /** … the module's own test() failed in the sandbox (or its exports broke the contract there). */
  | "own test"
  /** … the module passed but was refused at install (wrong name, unusable schema). */
  | "install"
  /** Installed, but its input fields cannot take the problem's arguments (or its schema refuses them). */
  | "interface"
  /** Installed, and the hidden tests failed. */
  | "hidden test"
  /** Not the model's answer: the model call or the sandbox failed (see `failure`). */
  | "error";

export const FAILURE_STOPS = [
  "extract",
  "transpile",
  "audit",
  "own test",
  "install",
  "interface",
  "hidden test",
  "error",
] as const satisfies readonly Stop[];

/** A module the audit refused, and what it would have done with the audit off. */
export interface AuditRefusal {
  attempt: number;
  rules: string[];
  /** Its own test() passed in the sandbox with the audit off. */
  ownTestPassed: boolean;
  /** The hidden tests pass with the audit off: the refusal cost a correct tool. */
  falseRefusal: boolean;
  /** With the audit off: "passes the hidden tests", or where and why it failed. */
  withoutAudit: string;
}

export interface ProblemOutcome {
  taskId: string;
  tool: string;
  solved: boolean;
  stop: Stop;
  /** Solved with the module of the first attempt. */
  firstAttempt: boolean;
  /** Model calls (one per attempt). */
  modelCalls: number;
  /** Each attempt's last stage and outcome, e.g. ["sandbox failed", "install passed"]. */
  attempts: string[];
  /** Wall-clock seconds of the forge run (write, audit, validate, retry, install). */
  seconds: number;
  /** Of which waiting for the model. */
  modelSeconds: number;
  /** The forge model's tokens over all attempts, as Ollama counted them: evaluated (prompt) and generated. */
  tokens?: { prompt: number; completion: number };
  /** The hidden tests' run in the sandbox (installed tools only). */
  hiddenSeconds?: number;
  /** Parameters the tool's schema renamed (mapped by the order of the fields left over). */
  renamed?: string[];
  /** Why it failed (first lines). */
  failure?: string;
  auditRefusals: AuditRefusal[];
  /** Example answers removed from the spec because the hidden tests check them. */
  answersRemoved: number;
  /** The dataset's own problem with this task, when it has one. */
  known?: string;
  /** The forge run's id in the (temporary) store. */
  runId?: string;
}

export interface Spread {
  p50: number;
  p95: number;
  total: number;
}

export interface Summary {
  attempted: number;
  solved: number;
  /** solved / attempted. */
  passAt1: number;
  solvedFirstAttempt: number;
  stops: Record<(typeof FAILURE_STOPS)[number], number>;
  /** Solved problems whose tool renamed the requested fields. */
  solvedRenamed: number;
  modelCalls: Spread;
  seconds: Spread;
  /** Modules the audit refused, over all attempts. */
  auditRefusals: number;
  /** Of those, how many pass the hidden tests with the audit off. */
  falseRefusals: number;
}

export interface ForgeBenchResult {
  kind: "forge-bench";
  at: string;
  model: string;
  ollamaHost: string;
  /** FORGE_MAX_ATTEMPTS for this run (K). */
  maxAttempts: number;
  concurrency: number;
  dataset: string;
  problems: string[];
  machine: { cpus: number; model: string; memoryGiB: number; node: string };
  sandbox: { runtime: string; poolSize: number; timeoutMs: number };
  summary: Summary;
  outcomes: ProblemOutcome[];
}

function spread(values: number[], digits: number): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : 0);
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), total: round(values.reduce((a, b) => a + b, 0)) };
}

export function summariseOutcomes(outcomes: ProblemOutcome[]): Summary {
  const solved = outcomes.filter((o) => o.solved);
  const stops = Object.fromEntries(FAILURE_STOPS.map((stop) => [stop, outcomes.filter((o) => o.stop === stop).length])) as Summary["stops"];
  const refusals = outcomes.flatMap((o) => o.auditRefusals);
  return {
    attempted: outcomes.length,
    solved: solved.length,
    passAt1: outcomes.length === 0 ? 0 : Math.round((solved.length / outcomes.length) * 10_000) / 10_000,
    solvedFirstAttempt: outcomes.filter((o) => o.firstAttempt).length,
    stops,
    solvedRenamed: solved.filter((o) => (o.renamed?.length ?? 0) > 0).length,
    modelCalls: spread(
      outcomes.map((o) => o.modelCalls),
      0,
    ),
    seconds: spread(
      outcomes.map((o) => o.seconds),
      1,
    ),
    auditRefusals: refusals.length,
    falseRefusals: refusals.filter((r) => r.falseRefusal).length,
  };
}

/** The table's rows: label, what it means (docs/benchmarks.md), and the cell for one result. */
export const TABLE_ROWS: { label: string; meaning: string; cell: (r: ForgeBenchResult) => string }[] = [
  {
    label: "solved (pass@1)",
    meaning:
      "problems whose installed tool passed the hidden tests / problems attempted, with at most K forge attempts each (K = FORGE_MAX_ATTEMPTS, `--attempts`). One forge run per problem, so this is pass@1 of the whole write-audit-validate-retry loop.",
    cell: (r) => `${r.summary.solved}/${r.summary.attempted} (${(r.summary.passAt1 * 100).toFixed(1)}%)`,
  },
  { label: "attempts allowed (K)", meaning: "the forge's attempt limit in this run.", cell: (r) => String(r.maxAttempts) },
  {
    label: "solved on the first attempt",
    meaning: "solved with the module the model wrote first, before any failure was fed back; the rest of `solved` needed the retry loop.",
    cell: (r) => String(r.summary.solvedFirstAttempt),
  },
  {
    label: "gave up: no module (extract)",
    meaning: "the forge gave up after K attempts; the last reply held no ```typescript module.",
    cell: (r) => String(r.summary.stops.extract),
  },
  { label: "gave up: did not compile", meaning: "… the last module did not transpile.", cell: (r) => String(r.summary.stops.transpile) },
  { label: "gave up: audit", meaning: "… the static audit refused the last module.", cell: (r) => String(r.summary.stops.audit) },
  {
    label: "gave up: own test",
    meaning: "… the last module's own test() failed in the sandbox (or it broke the contract there: exports, time, memory).",
    cell: (r) => String(r.summary.stops["own test"]),
  },
  {
    label: "gave up: install",
    meaning: "… the last module passed validation but was refused at install (a different name, an unusable schema).",
    cell: (r) => String(r.summary.stops.install),
  },
  {
    label: "installed, wrong interface",
    meaning:
      "installed, but its input fields cannot take the problem's arguments, or its schema refuses the arguments the hidden tests pass (the registry would refuse those calls).",
    cell: (r) => String(r.summary.stops.interface),
  },
  {
    label: "installed, failed hidden tests",
    meaning: "installed, and the problem's canonical tests (never shown to the model) failed against it.",
    cell: (r) => String(r.summary.stops["hidden test"]),
  },
  {
    label: "errors (not the model's answer)",
    meaning:
      "the model call failed (Ollama down, timed out) or the sandbox failed; see `failure` in the JSON. A run with errors exits non-zero.",
    cell: (r) => String(r.summary.stops.error),
  },
  {
    label: "solved with renamed fields",
    meaning:
      "solved problems whose tool named its input fields differently from the request; the benchmark mapped them by the order of the fields left over.",
    cell: (r) => String(r.summary.solvedRenamed),
  },
  {
    label: "model calls per tool p50 / p95",
    meaning: "chat calls to the model per problem (one per attempt), median and 95th percentile.",
    cell: (r) => `${r.summary.modelCalls.p50} / ${r.summary.modelCalls.p95}`,
  },
  {
    label: "seconds per tool p50 / p95",
    meaning:
      "wall-clock seconds of one forge run (all attempts: model, audit, sandbox, install), median and 95th percentile; the hidden tests are not included. With `--concurrency` above 1 this includes waiting for Ollama and the sandbox.",
    cell: (r) => `${r.summary.seconds.p50.toFixed(1)} / ${r.summary.seconds.p95.toFixed(1)}`,
  },
  {
    label: "audit refusals (false)",
    meaning:
      "modules the audit refused, over all attempts; in brackets those that pass the hidden tests when run with the audit off (false refusals: the audit cost a correct tool).",
    cell: (r) => `${r.summary.auditRefusals} (${r.summary.falseRefusals})`,
  },
];

/** A plain Markdown table. */
export function formatGrid(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(header), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n");
}

/** Ranks by pass@1, then by first-attempt solves, then by median seconds. */
export function rank(results: ForgeBenchResult[]): ForgeBenchResult[] {
  return [...results].sort(
    (a, b) =>
      b.summary.passAt1 - a.summary.passAt1 ||
      b.summary.solvedFirstAttempt - a.summary.solvedFirstAttempt ||
      a.summary.seconds.p50 - b.summary.seconds.p50,
  );
}

/** The models side by side (one column each, best first), with a note when they ran different problems. */
export function renderTable(results: ForgeBenchResult[]): string {
  const ranked = rank(results);
  const table = formatGrid(
    ["", ...ranked.map((r) => r.model)],
    TABLE_ROWS.map((row) => [row.label, ...ranked.map((r) => row.cell(r))]),
  );
  const sets = new Set(ranked.map((r) => [...r.problems].sort().join(",")));
  const notes: string[] = [];
  if (sets.size > 1)
    notes.push(
      `note: these runs cover different problems (${ranked.map((r) => `${r.model}: ${r.problems.length}`).join(", ")}); compare like with like.`,
    );
  const attempts = new Set(ranked.map((r) => r.maxAttempts));
  if (attempts.size > 1) notes.push("note: these runs allowed different numbers of attempts (K).");
  return [table, ...notes].join("\n");
}

// ------------------------------------------------------------------ the composite mode

/** A composite problem's outcome: the forge's, plus what the installed version builds on. */
export interface CompositeOutcome extends ProblemOutcome {
  /** The library tools the problem is meant to build on. */
  intended: string[];
  /** The installed version's pins ("is_prime@1"); [] when nothing was installed or it uses nothing. */
  uses: string[];
  /** A version was installed and its `uses` holds every intended tool. */
  composed: boolean;
}

export interface CompositeSummary {
  attempted: number;
  /** Installed and passed the hidden tests. */
  passed: number;
  composed: number;
  passedAndComposed: number;
  /** passed / attempted. */
  passRate: number;
  /** composed / attempted. */
  composeRate: number;
  stops: Record<(typeof FAILURE_STOPS)[number], number>;
  modelCalls: Spread;
  seconds: Spread;
  /** Tokens per problem, evaluated plus generated. */
  tokens: Spread;
}

export interface CompositeBenchResult extends Omit<ForgeBenchResult, "kind" | "summary" | "outcomes"> {
  kind: "forge-bench-composite";
  /** The library tools installed before the problems, each from a HumanEval-X problem. */
  library: Record<string, string>;
  summary: CompositeSummary;
  outcomes: CompositeOutcome[];
}

const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

export function summariseComposites(outcomes: CompositeOutcome[]): CompositeSummary {
  const base = summariseOutcomes(outcomes);
  const passed = outcomes.filter((o) => o.solved).length;
  const composed = outcomes.filter((o) => o.composed).length;
  return {
    attempted: outcomes.length,
    passed,
    composed,
    passedAndComposed: outcomes.filter((o) => o.solved && o.composed).length,
    passRate: rate(passed, outcomes.length),
    composeRate: rate(composed, outcomes.length),
    stops: base.stops,
    modelCalls: base.modelCalls,
    seconds: base.seconds,
    tokens: spread(
      outcomes.map((o) => (o.tokens ? o.tokens.prompt + o.tokens.completion : 0)),
      0,
    ),
  };
}

const percent = (part: number, whole: number) => `${part}/${whole} (${(rate(part, whole) * 100).toFixed(1)}%)`;

/** One row per problem, then the summary: pass rate and compose rate. */
export function renderComposites(result: CompositeBenchResult): string {
  const yes = (value: boolean) => (value ? "yes" : "no");
  const rows = result.outcomes.map((o) => [
    o.tool,
    o.solved ? "yes" : `no (${o.stop})`,
    yes(o.composed),
    o.uses.join(", ") || "-",
    o.intended.join(", "),
    String(o.modelCalls),
    o.seconds.toFixed(1),
    o.tokens ? String(o.tokens.prompt + o.tokens.completion) : "-",
  ]);
  const table = formatGrid(["problem", "passed", "composed", "uses (installed)", "meant to use", "attempts", "seconds", "tokens"], rows);
  const s = result.summary;
  return [
    table,
    "",
    `model ${result.model}, at most ${result.maxAttempts} attempts each`,
    `passed (hidden tests):  ${percent(s.passed, s.attempted)}`,
    `composed (uses them):   ${percent(s.composed, s.attempted)}`,
    `passed and composed:    ${percent(s.passedAndComposed, s.attempted)}`,
    `attempts p50 / p95:     ${s.modelCalls.p50} / ${s.modelCalls.p95}`,
    `seconds p50 / p95:      ${s.seconds.p50.toFixed(1)} / ${s.seconds.p95.toFixed(1)}`,
    `tokens p50 / total:     ${s.tokens.p50} / ${s.tokens.total}`,
  ].join("\n");
}
