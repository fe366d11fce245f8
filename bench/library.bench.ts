/**
 * The tool library at 10, 100, 1,000 and 10,000 installed tools (bench/library-data.ts: HumanEval-X's
 * 164 problems, then generated everyday tools), side by side. For each size:
 *
 *   - BRICK's request: bytes and estimated tokens (characters / 4) of the system prompt plus the
 *     tools bound, as the scripted Ollama server received them: one turn per request of each query
 *     set, the mean per set; goal: flat from 100 to 10,000, at most 1.2× the 10-tool figure;
 *   - graph overhead per turn with an instant scripted model (real ChatOllama over HTTP, the real
 *     graph, store and registry; no checkpointer; 4 model calls), over those same turns; goal at
 *     10,000: ≤ 1.2× the 10-tool figure;
 *   - search latency (Store.searchLibrary, SQLite FTS5) p50/p95 over both query sets; goal < 5 ms at 10,000;
 *   - recall: the share of requests whose tool is among the tools BRICK gets bound for that request
 *     (no embeddings), for the tuned query set (bench/library-queries.jsonl, which the search's
 *     synonyms were tuned on; goal ≥ 90% at 1,000) and the held-out one
 *     (bench/library-queries-heldout.jsonl, never tuned on);
 *   - find before forging: precision and recall of reuse at several thresholds on
 *     bench/library-reuse-specs.jsonl (sizes ≥ 1,000), the chosen one marked.
 * Then once: `tools add` (validate in gVisor + install) of a directory of 100 hand-written modules
 * (HumanEval-X problems as tool modules), across the sandbox pool.
 *
 * LIBRARY_SIZES=10,100,1000 picks sizes; LIBRARY_ADD=off skips the sandbox part.
 * Writes bench/results/library-latest.json (and a time-stamped copy) with every figure.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { loadConfig } from "../src/config.js";
import { REUSE_THRESHOLD, matchStrength } from "../src/forge/reuse.js";
import { createSandbox } from "../src/sandbox/index.js";
import { openStore } from "../src/store/index.js";
import type { Store } from "../src/store/types.js";
import { createAdmission, readModuleSources } from "../src/admission/index.js";
import { createToolMirror } from "../src/tools/mirror.js";
import { selectTools, turnContext } from "../src/tools/selection.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../test/support/scripted-ollama.js";
import { MODELS, startGraph, turn } from "../test/support/graph.js";
import { KNOWN_BAD, readProblems, toForgedModule } from "./humaneval.js";
import { installLibrary, libraryOf } from "./library-data.js";
import { summarise, type BenchRow } from "./stats.js";

export const title = "tool library";

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env["LIBRARY_SIZES"] ?? "10,100,1000,10000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
/** The query sets: `tuned` is the one the search was tuned on, `heldOut` the one it never was. */
const QUERY_SETS = { tuned: "library-queries.jsonl", heldOut: "library-queries-heldout.jsonl" } as const;
type QuerySet = keyof typeof QUERY_SETS;
const THRESHOLDS = [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];

interface Query {
  query: string;
  tool: string;
}
interface ReuseSpec {
  spec: string;
  tools: string[];
}

const readJsonl = <T>(file: string): T[] =>
  readFileSync(path.join(here, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);

export interface Recall {
  hits: number;
  queries: number;
  share: number;
  misses: string[];
}

/** BRICK's request for the requests of one query set (means over one turn per request). */
export interface RequestFigures {
  requestBytes: number;
  requestTokens: number;
  toolsBound: number;
}

export interface SizeFigures extends RequestFigures {
  tools: number;
  installSeconds: number;
  /** BRICK's request for the held-out set's requests (the top-level figures are the tuned set's). */
  heldOutRequest: RequestFigures;
  turns: number;
  turnP50Ms: number;
  turnP95Ms: number;
  searchP50Ms: number;
  searchP95Ms: number;
  selectP50Ms: number;
  selectP95Ms: number;
  /** Recall on the tuned query set. */
  recall: Recall;
  recallHeldOut: Recall;
  reuse:
    | {
        threshold: number;
        precision: number | null;
        recall: number;
        right: number;
        wrong: number;
        positives: number;
        wrongPicks: string[];
      }[]
    | null;
}

const percentileOf = (samples: number[], p: number) => summarise("", "", samples)[p === 50 ? "p50Ms" : "p95Ms"];

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function isUser(message: BaseMessage): boolean {
  return HumanMessage.isInstance(message) && message.name !== "tool_forge";
}

async function measureSize(size: number, sets: Record<QuerySet, Query[]>, specs: ReuseSpec[]): Promise<SizeFigures> {
  const ollama = await ScriptedOllama.start({
    respond: (request: OllamaChatRequest): ScriptedReply => ({
      content: request.model === MODELS.brick ? "Nothing to compute." : "ok",
      chunkSize: 10_000,
    }),
  });
  const h = await startGraph({ ollama, checkpointer: false });
  try {
    const library = libraryOf(size);
    const installed = new Set(library.map((t) => t.name));
    let started = performance.now();
    await installLibrary(h.runtime.store, library);
    const installSeconds = (performance.now() - started) / 1000;
    const all = [...sets.tuned, ...sets.heldOut];

    // BRICK's request per query set, and the graph's overhead per turn: one turn per request.
    for (let i = 0; i < 10; i++) await h.graph.invoke(turn(all[i]!.query)); // warm-up
    const turnMs: number[] = [];
    const requestOf = async (queries: Query[]): Promise<RequestFigures> => {
      ollama.requests.length = 0;
      for (const q of queries) {
        started = performance.now();
        await h.graph.invoke(turn(q.query));
        turnMs.push(performance.now() - started);
      }
      const brickRequests = ollama.chatRequests.filter((r) => r.model === MODELS.brick);
      const bodies = brickRequests.map((r) => JSON.stringify({ system: r.messages[0]?.content ?? "", tools: r.tools ?? [] }));
      return {
        requestBytes: Math.round(mean(bodies.map((b) => Buffer.byteLength(b, "utf8")))),
        requestTokens: Math.round(mean(bodies.map((b) => b.length)) / 4),
        toolsBound: round(mean(brickRequests.map((r) => r.tools?.length ?? 0))),
      };
    };
    const tunedRequest = await requestOf(sets.tuned);
    const heldOutRequest = await requestOf(sets.heldOut);

    // Search and selection latency, recall.
    const store = h.runtime.store;
    const registry = h.runtime.registry;
    const limit = h.config.toolBindLimit;
    for (const q of all.slice(0, 5)) await store.searchLibrary(q.query, { kind: "tool", limit }); // warm-up
    const searchMs: number[] = [];
    const selectMs: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (const q of all) {
        started = performance.now();
        await store.searchLibrary(q.query, { kind: "tool", limit });
        searchMs.push(performance.now() - started);
        started = performance.now();
        await selectTools(registry, turnContext([new HumanMessage(q.query)], isUser), limit);
        selectMs.push(performance.now() - started);
      }
    }
    const recallOf = async (queries: Query[]): Promise<Recall> => {
      const present = queries.filter((q) => installed.has(q.tool));
      const misses: string[] = [];
      let hits = 0;
      for (const q of present) {
        const selection = await selectTools(registry, turnContext([new HumanMessage(q.query)], isUser), limit);
        if (selection.names.includes(q.tool)) hits++;
        else misses.push(q.tool);
      }
      return { hits, queries: present.length, share: present.length ? hits / present.length : 0, misses };
    };

    return {
      tools: size,
      installSeconds: round(installSeconds),
      ...tunedRequest,
      heldOutRequest,
      turns: turnMs.length,
      turnP50Ms: percentileOf(turnMs, 50),
      turnP95Ms: percentileOf(turnMs, 95),
      searchP50Ms: percentileOf(searchMs, 50),
      searchP95Ms: percentileOf(searchMs, 95),
      selectP50Ms: percentileOf(selectMs, 50),
      selectP95Ms: percentileOf(selectMs, 95),
      recall: await recallOf(sets.tuned),
      recallHeldOut: await recallOf(sets.heldOut),
      reuse: size >= 1000 ? await reuseFigures(store, specs, installed) : null,
    };
  } finally {
    await h.close();
    await ollama.close();
  }
}

/** Precision and recall of find-before-forging per threshold, over the specs whose tools are installed (and every negative). */
async function reuseFigures(store: Store, specs: ReuseSpec[], installed: Set<string>): Promise<SizeFigures["reuse"]> {
  const judged: { spec: ReuseSpec; best: { name: string; strength: number } | null }[] = [];
  for (const spec of specs) {
    if (spec.tools.length > 0 && !spec.tools.some((t) => installed.has(t))) continue;
    const hits = await store.searchLibrary(spec.spec, { kind: "tool", limit: 5 });
    const scored = hits.map((h) => ({ name: h.name, strength: matchStrength(spec.spec, h) })).sort((a, b) => b.strength - a.strength);
    judged.push({ spec, best: scored[0] ?? null });
  }
  const positives = judged.filter((j) => j.spec.tools.length > 0).length;
  return THRESHOLDS.map((threshold) => {
    let right = 0;
    let wrong = 0;
    const wrongPicks: string[] = [];
    for (const { spec, best } of judged) {
      if (!best || best.strength < threshold) continue;
      if (spec.tools.includes(best.name)) right++;
      else {
        wrong++;
        wrongPicks.push(`${spec.spec.split(":")[0]} → ${best.name}`);
      }
    }
    return {
      threshold,
      precision: right + wrong ? round(right / (right + wrong)) : null,
      recall: round(right / Math.max(1, positives)),
      right,
      wrong,
      positives,
      wrongPicks,
    };
  });
}

/** `tools add` of a directory of 100 modules through the real sandbox pool. */
async function measureAdd(): Promise<
  | {
      modules: number;
      added: number;
      refused: number;
      refusals: string[];
      seconds: number;
      perSecond: number;
      concurrency: number;
      poolSize: number;
    }
  | { skipped: string }
> {
  if (process.env["LIBRARY_ADD"] === "off") return { skipped: "LIBRARY_ADD=off" };
  const config = loadConfig();
  const poolSize = Math.max(2, config.sandbox.poolSize);
  const sandboxConfig = { ...config, sandbox: { ...config.sandbox, poolSize } };
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-bench-add-"));
  const sandbox = await createSandbox(sandboxConfig, { diagnostics: { warn: () => undefined } });
  const store = await openStore({ dataDir: path.join(dir, "data"), arango: null });
  try {
    const modulesDir = path.join(dir, "modules");
    mkdirSync(modulesDir);
    const problems = readProblems()
      .filter((p) => !(p.task_id in KNOWN_BAD))
      .slice(0, 100);
    for (const problem of problems) {
      const forged = toForgedModule(problem);
      writeFileSync(path.join(modulesDir, `${forged.toolName}.ts`), forged.source);
    }
    const modules = await readModuleSources(modulesDir);
    const admission = createAdmission({ store, sandbox, mirror: createToolMirror(path.join(dir, "tools")) });
    const started = performance.now();
    const outcomes = await admission.addTools(modules, poolSize);
    const seconds = (performance.now() - started) / 1000;
    const added = outcomes.filter((o) => o.status === "added").length;
    const refusals = outcomes.flatMap((o) =>
      o.status === "refused" ? [`${path.basename(o.file)}: ${o.stage}: ${o.reason.split("\n")[0]}`] : [],
    );
    return {
      modules: modules.length,
      added,
      refused: modules.length - added,
      refusals,
      seconds: round(seconds),
      perSecond: round(modules.length / seconds),
      concurrency: poolSize,
      poolSize,
    };
  } finally {
    await sandbox.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function libraryTable(figures: SizeFigures[]): string {
  const base = figures.find((f) => f.tools === 10) ?? figures[0];
  const ratio = (value: number, of: number | undefined) => (of ? `${(value / of).toFixed(2)}×` : "-");
  const request = (r: RequestFigures, of: RequestFigures | undefined) =>
    `${r.requestBytes.toLocaleString("en")} B ≈ ${r.requestTokens.toLocaleString("en")} tokens (${ratio(r.requestBytes, of?.requestBytes)}), ${r.toolsBound} tools`;
  const recall = (r: Recall) => `${(r.share * 100).toFixed(1)}% (${r.hits}/${r.queries})`;
  const header =
    "| tools | BRICK request, tuned set (system + tools) | BRICK request, held-out set | turn overhead p50 | search p50 / p95 | selection p50 / p95 | recall, tuned set | recall, held-out set |";
  const lines = [header, "|---:|---|---|---|---|---|---|---|"];
  for (const f of figures) {
    lines.push(
      `| ${f.tools.toLocaleString("en")} | ${request(f, base)} | ${request(f.heldOutRequest, base?.heldOutRequest)} | ` +
        `${f.turnP50Ms} ms (${ratio(f.turnP50Ms, base?.turnP50Ms)}) | ${f.searchP50Ms} / ${f.searchP95Ms} ms | ${f.selectP50Ms} / ${f.selectP95Ms} ms | ` +
        `${recall(f.recall)} | ${recall(f.recallHeldOut)} |`,
    );
  }
  return lines.join("\n");
}

export function reuseTable(figures: SizeFigures[]): string {
  const lines = ["| tools | threshold | reuses right / wrong | precision | recall |", "|---:|---:|---|---:|---:|"];
  for (const f of figures) {
    for (const r of f.reuse ?? []) {
      const mark = r.threshold === REUSE_THRESHOLD ? " **(chosen)**" : "";
      lines.push(
        `| ${f.tools.toLocaleString("en")} | ${r.threshold}${mark} | ${r.right} / ${r.wrong} | ${r.precision ?? "-"} | ${r.recall} (of ${r.positives}) |`,
      );
    }
  }
  return lines.join("\n");
}

export async function run(): Promise<BenchRow[]> {
  const sets: Record<QuerySet, Query[]> = { tuned: readJsonl<Query>(QUERY_SETS.tuned), heldOut: readJsonl<Query>(QUERY_SETS.heldOut) };
  const specs = readJsonl<ReuseSpec>("library-reuse-specs.jsonl");
  const figures: SizeFigures[] = [];
  for (const size of SIZES) {
    process.stderr.write(`bench: library of ${size} tools …\n`);
    figures.push(await measureSize(size, sets, specs));
  }
  process.stderr.write("bench: tools add of 100 modules …\n");
  let add: Awaited<ReturnType<typeof measureAdd>>;
  try {
    add = await measureAdd();
  } catch (error) {
    add = { skipped: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
  }

  const result = { at: new Date().toISOString(), bindLimit: loadConfig({}).toolBindLimit, reuseThreshold: REUSE_THRESHOLD, figures, add };
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = result.at.replace(/[:.]/g, "-");
  writeFileSync(path.join(dir, `library-${stamp}.json`), JSON.stringify(result, null, 2) + "\n");
  // library-latest.json is the last complete run (every size and the tools add part).
  if (SIZES.join(",") === "10,100,1000,10000" && "seconds" in add)
    writeFileSync(path.join(dir, "library-latest.json"), JSON.stringify(result, null, 2) + "\n");
  console.log(`\n${libraryTable(figures)}\n\n${reuseTable(figures)}\n`);
  for (const f of figures) {
    if (f.recall.misses.length) console.log(`recall misses at ${f.tools}, tuned set: ${f.recall.misses.join(", ")}`);
    if (f.recallHeldOut.misses.length) console.log(`recall misses at ${f.tools}, held-out set: ${f.recallHeldOut.misses.join(", ")}`);
  }
  console.log(`tools add: ${JSON.stringify(add)}\n`);

  const rows: BenchRow[] = [];
  for (const f of figures) {
    const n = f.tools.toLocaleString("en");
    rows.push({
      group: "library",
      name: `${n} tools: turn overhead`,
      runs: f.turns,
      p50Ms: f.turnP50Ms,
      p95Ms: f.turnP95Ms,
      minMs: NaN,
      maxMs: NaN,
      note: `BRICK request ${f.requestBytes} B ≈ ${f.requestTokens} tokens, ${f.toolsBound} tools (tuned set)`,
    });
    rows.push({
      group: "library",
      name: `${n} tools: search (FTS5)`,
      runs: (sets.tuned.length + sets.heldOut.length) * 2,
      p50Ms: f.searchP50Ms,
      p95Ms: f.searchP95Ms,
      minMs: NaN,
      maxMs: NaN,
      note: `recall ${(f.recall.share * 100).toFixed(1)}% tuned (${f.recall.hits}/${f.recall.queries}), ${(f.recallHeldOut.share * 100).toFixed(1)}% held-out (${f.recallHeldOut.hits}/${f.recallHeldOut.queries})`,
    });
  }
  if ("seconds" in add) {
    rows.push({
      group: "library",
      name: "tools add, 100 modules",
      runs: add.modules,
      p50Ms: round((add.seconds * 1000) / add.modules),
      p95Ms: NaN,
      minMs: NaN,
      maxMs: NaN,
      note: `${add.perSecond} modules/s, ${add.added} added, ${add.refused} refused, ${add.concurrency} at a time`,
    });
  }
  return rows;
}
