/**
 * `npm run bench:turn`: what a conversation costs the model, ToolForge against a single-call agent.
 *
 * The conversation (bench/turn-script.ts) runs through ToolForge (BRICK → ROBIN → BABS → ALFRED,
 * the tools in its library called in the gVisor sandbox) and through LangGraph.js's prebuilt
 * `createReactAgent` with the same two tools and the same model: one call per step, the tools in
 * process. Each side talks to its own fresh model server through a recording proxy
 * (bench/turn-proxy.ts), and is measured from Ollama's own counts and durations: calls, prompt
 * tokens sent, evaluated (not served from the prompt cache), generated (thinking included),
 * reloads, and the model's time. A third run adds a turn that forges a tool, to count reloads.
 *
 * By default the model is a stand-in (test/support/scripted-ollama.ts with ./ollama-runner.ts):
 * an Ollama-compatible server that accounts for a call as Ollama does — a ChatML-rendered prompt,
 * one prompt-cache slot per model holding the last prompt and its reply, thinking unless told
 * `think: false` (300 tokens), a reload when `num_ctx` changes — with the speeds of an 8B Q4 model
 * on an RTX 3080 (3,807 prompt tokens/s, 112 generated tokens/s, 3 s to load).
 *
 *   npm run bench:turn                                         # the stand-in
 *   npm run bench:turn -- --ollama http://127.0.0.1:11434 --model qwen3:8b   # a real Ollama
 *
 * With a real Ollama, the replies are the model's own, the tokens and seconds are Ollama's; a call
 * whose load_duration exceeds 500 ms counts as a (re)load. Results: bench/results/turn-<time>.json
 * and turn-latest.json (stand-in runs only).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOllama } from "@langchain/ollama";
import { z } from "zod";
import { loadConfig } from "../src/config.js";
import { createToolForge } from "../src/graph/create.js";
import { RTX_3080_8B_Q4 } from "../test/support/ollama-runner.js";
import { ScriptedOllama } from "../test/support/scripted-ollama.js";
import { RecordingProxy, type RecordedCall } from "./turn-proxy.js";
import { CONVERSATION, FORGE_TURN, LIBRARY_TOOLS, standInReply, type ScriptedTurn } from "./turn-script.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    ollama: { type: "string" },
    model: { type: "string", default: "qwen3:8b" },
  },
});
const real = args.ollama !== undefined;
const model = args.model;
/** A call whose load took longer than this loaded the model (a real Ollama reports a few ms otherwise). */
const LOAD_MS = 500;

interface TurnRecord {
  question: string;
  answer: string;
  calls: RecordedCall[];
  /** The model's time until the first token of the answer (the calls before it, then its load, prompt and thinking). */
  firstAnswerTokenMs: number;
  usage?: unknown;
}

interface RunSummary {
  name: string;
  turns: TurnRecord[];
  calls: number;
  sentTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  thinkingTokens: number;
  loads: number;
  reloads: number;
  modelSeconds: number;
  firstAnswerTokenSeconds: number;
}

/** A fresh model server for one run: the stand-in, or the real Ollama given. */
async function modelServer(turns: readonly ScriptedTurn[]): Promise<{ url: string; close(): Promise<void> }> {
  if (real) return { url: args.ollama!, close: async () => {} };
  const standIn = await ScriptedOllama.start({
    models: {
      [model]: { capabilities: ["completion", "tools", "thinking"], architecture: "qwen3", contextLength: 40_960, thinkingTokens: 300 },
    },
    respond: (request) => standInReply(request, turns),
    speed: RTX_3080_8B_Q4,
  });
  return { url: standIn.url, close: () => standIn.close() };
}

function firstAnswerTokenMs(calls: RecordedCall[]): number {
  const last = calls.at(-1);
  if (!last) return 0;
  const before = calls.slice(0, -1).reduce((sum, c) => sum + c.totalMs, 0);
  const perToken = last.generatedTokens > 0 ? last.evalMs / last.generatedTokens : 0;
  return before + last.loadMs + last.promptEvalMs + (last.thinkingTokens + 1) * perToken;
}

function summarise(name: string, turns: TurnRecord[]): RunSummary {
  const calls = turns.flatMap((t) => t.calls);
  const sum = (pick: (c: RecordedCall) => number) => calls.reduce((s, c) => s + pick(c), 0);
  const seen = new Set<string>();
  let loads = 0;
  let reloads = 0;
  for (const call of calls) {
    if (call.loadMs <= LOAD_MS) continue;
    loads++;
    if (seen.has(call.model)) reloads++;
    seen.add(call.model);
  }
  return {
    name,
    turns,
    calls: calls.length,
    sentTokens: sum((c) => c.sentTokens),
    evaluatedTokens: sum((c) => c.evaluatedTokens),
    generatedTokens: sum((c) => c.generatedTokens),
    thinkingTokens: sum((c) => c.thinkingTokens),
    loads,
    reloads,
    modelSeconds: sum((c) => c.totalMs) / 1000,
    firstAnswerTokenSeconds: turns.reduce((s, t) => s + t.firstAnswerTokenMs, 0) / turns.length / 1000,
  };
}

async function runToolForge(name: string, turns: readonly ScriptedTurn[]): Promise<RunSummary> {
  const server = await modelServer(turns);
  const proxy = await RecordingProxy.start(server.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-bench-turn-"));
  const config = loadConfig({
    ...process.env,
    OLLAMA_HOST: proxy.url,
    BRICK_MODEL: model,
    ROBIN_MODEL: model,
    BABS_MODEL: model,
    ALFRED_MODEL: model,
    FORGE_MODEL: "",
    DATA_DIR: path.join(dir, "data"),
    DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools"),
  });
  const forge = await createToolForge({ config });
  const records: TurnRecord[] = [];
  try {
    for (const module of LIBRARY_TOOLS) {
      const added = await forge.runtime.admission.addTool(module);
      if (added.status !== "added") throw new Error(`could not add ${module.file}: ${added.reason}`);
    }
    const thread = { configurable: { thread_id: "bench-turn" } };
    for (const turn of turns) {
      const from = proxy.calls.length;
      const state = await forge.graph.invoke({ messages: [new HumanMessage(turn.question)] }, thread);
      const calls = proxy.calls.slice(from);
      const usage = (state as { usage?: unknown }).usage;
      records.push({
        question: turn.question,
        answer: String(state.answer ?? ""),
        calls,
        firstAnswerTokenMs: firstAnswerTokenMs(calls),
        ...(usage !== undefined ? { usage } : {}),
      });
      process.stderr.write(`bench:turn ${name}: "${turn.question}" → ${calls.length} calls\n`);
    }
  } finally {
    await forge.close();
    await proxy.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return summarise(name, records);
}

const toRoman = tool(
  ({ n }: { n: number }) => {
    const digits: [number, string][] = [
      [1000, "M"],
      [900, "CM"],
      [500, "D"],
      [400, "CD"],
      [100, "C"],
      [90, "XC"],
      [50, "L"],
      [40, "XL"],
      [10, "X"],
      [9, "IX"],
      [5, "V"],
      [4, "IV"],
      [1, "I"],
    ];
    let rest = n;
    let out = "";
    for (const [value, letters] of digits)
      while (rest >= value) {
        out += letters;
        rest -= value;
      }
    return out;
  },
  {
    name: "to_roman",
    description: "Writes a whole number from 1 to 3999 in Roman numerals.",
    schema: z.object({ n: z.number().int().min(1).max(3999).describe("The number to write.") }),
  },
);

const daysBetween = tool(
  ({ from, to }: { from: string; to: string }) =>
    String(Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)),
  {
    name: "days_between",
    description: "Counts the days from one calendar date to another (YYYY-MM-DD).",
    schema: z.object({ from: z.string().describe("Start date, YYYY-MM-DD."), to: z.string().describe("End date, YYYY-MM-DD.") }),
  },
);

async function runSingleAgent(turns: readonly ScriptedTurn[]): Promise<RunSummary> {
  const server = await modelServer(turns);
  const proxy = await RecordingProxy.start(server.url);
  const numCtx = loadConfig({}).numCtx;
  const agent = createReactAgent({
    llm: new ChatOllama({ baseUrl: proxy.url, model, numCtx }),
    tools: [toRoman, daysBetween],
    checkpointer: new MemorySaver(),
  });
  const records: TurnRecord[] = [];
  try {
    const thread = { configurable: { thread_id: "bench-turn" } };
    for (const turn of turns) {
      const from = proxy.calls.length;
      const state = (await agent.invoke({ messages: [new HumanMessage(turn.question)] }, thread)) as { messages: BaseMessage[] };
      const calls = proxy.calls.slice(from);
      records.push({
        question: turn.question,
        answer: String(state.messages.at(-1)?.content ?? ""),
        calls,
        firstAnswerTokenMs: firstAnswerTokenMs(calls),
      });
    }
  } finally {
    await proxy.close();
    await server.close();
  }
  return summarise("single-call agent (createReactAgent)", records);
}

function table(rows: RunSummary[]): string {
  const header = ["", "calls", "tokens sent", "evaluated", "generated (thinking)", "reloads", "model time", "to 1st answer token"];
  const lines = rows.map((r) => [
    r.name,
    String(r.calls),
    r.sentTokens.toLocaleString("en"),
    `${r.evaluatedTokens.toLocaleString("en")} (${Math.round((100 * r.evaluatedTokens) / Math.max(1, r.sentTokens))}%)`,
    `${r.generatedTokens.toLocaleString("en")} (${r.thinkingTokens.toLocaleString("en")})`,
    String(r.reloads),
    `${r.modelSeconds.toFixed(1)} s`,
    `${r.firstAnswerTokenSeconds.toFixed(2)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [format(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(format)].join("\n");
}

const toolforge = await runToolForge("ToolForge, defaults", CONVERSATION);
const single = await runSingleAgent(CONVERSATION);
const forging = await runToolForge("ToolForge, the same + a turn that forges", [...CONVERSATION, FORGE_TURN]);

const ratios = {
  modelTime: toolforge.modelSeconds / single.modelSeconds,
  evaluatedTokens: toolforge.evaluatedTokens / single.evaluatedTokens,
  generatedTokens: toolforge.generatedTokens / single.generatedTokens,
  firstAnswerToken: toolforge.firstAnswerTokenSeconds / single.firstAnswerTokenSeconds,
};
console.log(
  `\nModel: ${model} on ${real ? `Ollama at ${args.ollama}` : "the stand-in (8B Q4 on an RTX 3080: 3,807 prompt tok/s, 112 generated tok/s, 3 s load)"}\n`,
);
console.log(table([toolforge, single, forging]));
console.log(
  `\nToolForge / single agent: model time ${ratios.modelTime.toFixed(2)}×, evaluated prompt tokens ${ratios.evaluatedTokens.toFixed(2)}×, ` +
    `generated ${ratios.generatedTokens.toFixed(2)}×, first answer token ${ratios.firstAnswerToken.toFixed(2)}×; ` +
    `reloads in the forging conversation: ${forging.reloads}`,
);

const result = {
  at: new Date().toISOString(),
  model,
  server: real ? { ollama: args.ollama } : { standIn: RTX_3080_8B_Q4 },
  ratios,
  runs: [toolforge, single, forging],
};
const dir = path.join(here, "results");
mkdirSync(dir, { recursive: true });
const stamp = result.at.replace(/[:.]/g, "-");
writeFileSync(path.join(dir, `turn-${stamp}.json`), JSON.stringify(result, null, 2) + "\n");
if (!real) writeFileSync(path.join(dir, "turn-latest.json"), JSON.stringify(result, null, 2) + "\n");
console.log(`\nwritten: bench/results/turn-${stamp}.json`);
