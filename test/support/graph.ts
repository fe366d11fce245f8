/**
 * Test helper for the agent graph: a real runtime (SQLite store, live registry, forge) in its own
 * temporary DATA_DIR / DYNAMIC_TOOLS_DIR, talking to a ScriptedOllama (FORGE_MODEL is
 * "forge-coder:test", so scripts can tell the forge's requests apart). With `sandbox: "real"` the
 * runtime opens the real gVisor sandbox; without a sandbox given, it gets one that refuses every job (for tests where nothing runs forged code: built-in tools
 * run in process, and a forge that fails before validation never reaches the sandbox).
 *
 *   const ollama = await ScriptedOllama.start({ respond: script });
 *   const h = await startGraph({ ollama });
 *   try { await h.graph.invoke(turn("hi"), h.thread("t1")); } finally { await h.close(); await ollama.close(); }
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { HumanMessage } from "@langchain/core/messages";
import { loadConfig, type Config, type Env } from "../../src/config.js";
import { createToolForge, type CreateGraphOptions, type ToolForge } from "../../src/graph/create.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { refusingSandbox } from "./refusing-sandbox.js";
import { ScriptedOllama, type OllamaChatRequest, type Responder, type ScriptedReply } from "./scripted-ollama.js";

export const FORGE_MODEL = "forge-coder:test";

/**
 * Each persona's model tag in the harness's graphs (unless `env` says otherwise): one tag per
 * persona, so a script can tell who is asking (the product's default is one model for all).
 */
export const MODELS = {
  brick: "brick-model:test",
  robin: "robin-model:test",
  babs: "babs-model:test",
  alfred: "alfred-model:test",
} as const;

export interface GraphHarness extends ToolForge {
  config: Config;
  dataDir: string;
  /** Closes the runtime; with `keepData`, the directories stay (for a rebuild from the same data). */
  close(options?: { keepData?: boolean }): Promise<void>;
  thread(id: string, configurable?: Record<string, unknown>): { configurable: Record<string, unknown> };
}

export interface StartGraphOptions extends Omit<CreateGraphOptions, "config" | "runtime" | "sandbox"> {
  ollama: ScriptedOllama;
  /** "real": the runtime's own gVisor sandbox (Docker + runsc needed); default: refusingSandbox. */
  sandbox?: Sandbox | "real";
  env?: Env;
  /** Reuse a data directory (rebuild after a restart). */
  dataDir?: string;
}

export async function startGraph(options: StartGraphOptions): Promise<GraphHarness> {
  const { ollama, env, dataDir: givenDir, sandbox = refusingSandbox, ...rest } = options;
  const dataDir = givenDir ?? mkdtempSync(path.join(os.tmpdir(), "toolforge-graph-"));
  const config = loadConfig({
    OLLAMA_HOST: ollama.url,
    DATA_DIR: path.join(dataDir, "data"),
    DYNAMIC_TOOLS_DIR: path.join(dataDir, "dynamic_tools"),
    BRICK_MODEL: MODELS.brick,
    ROBIN_MODEL: MODELS.robin,
    BABS_MODEL: MODELS.babs,
    ALFRED_MODEL: MODELS.alfred,
    FORGE_MODEL,
    ...env,
  });
  const forge = await createToolForge({ ...(sandbox === "real" ? {} : { sandbox }), ...rest, config });
  return {
    ...forge,
    config,
    dataDir,
    close: async ({ keepData = false } = {}) => {
      await forge.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    thread: (id, configurable = {}) => ({ configurable: { thread_id: id, ...configurable } }),
  };
}

/** The graph's input for one user turn. */
export function turn(text: string): { messages: HumanMessage[] } {
  return { messages: [new HumanMessage(text)] };
}

/** BRICK's reply to its `brickCall`-th request (counted from 0 since the script was made). */
export type BrickScript = (request: OllamaChatRequest, brickCall: number) => ScriptedReply | string;

/** A responder where BRICK follows `brick` and the other personas answer with their model name. */
export function scriptBrick(brick: BrickScript): Responder {
  let brickCalls = 0;
  return (request) => (request.model === MODELS.brick ? brick(request, brickCalls++) : `${request.model} says ok`);
}

/** BRICK's recorded requests from the `from`-th chat request on. */
export function brickRequests(ollama: ScriptedOllama, from: number): OllamaChatRequest[] {
  return ollama.chatRequests.slice(from).filter((r) => r.model === MODELS.brick);
}

/** The system prompt of a recorded chat request. */
export function systemOf(request: OllamaChatRequest): string {
  return request.messages.find((m) => m.role === "system")?.content ?? "";
}

/** Whether a recorded chat request is a metacognition plan request (it carries a JSON Schema format). */
export function isPlanRequest(request: OllamaChatRequest): boolean {
  return typeof request.format === "object" && request.format !== null;
}

/**
 * For a describe block: starts a ScriptedOllama (with `respond`) and a graph on it before the
 * tests, closes both after them. Read `ctx.ollama` and `ctx.h` inside the tests.
 */
export function useGraph(options: Omit<StartGraphOptions, "ollama"> & { respond?: Responder } = {}): {
  readonly ollama: ScriptedOllama;
  readonly h: GraphHarness;
} {
  const { respond, ...rest } = options;
  let ollama: ScriptedOllama | undefined;
  let h: GraphHarness | undefined;
  beforeAll(async () => {
    ollama = await ScriptedOllama.start(respond ? { respond } : {});
    h = await startGraph({ ollama, ...rest });
  });
  afterAll(async () => {
    await h?.close();
    await ollama?.close();
  });
  return {
    get ollama() {
      if (!ollama) throw new Error("useGraph: the scripted Ollama is not started (use it inside a test)");
      return ollama;
    },
    get h() {
      if (!h) throw new Error("useGraph: the graph is not started (use it inside a test)");
      return h;
    },
  };
}

/** Whether a user-role message on the wire is the team's (a cue, a note to BRICK, a forge note) rather than the user's. */
export function isTeamMessage(message: { role: string; content: string }): boolean {
  return message.role === "user" && TEAM_MESSAGE.test(message.content);
}
const TEAM_MESSAGE = new RegExp(
  `^(?:${["ROBIN", "BABS", "ALFRED"].map((t) => `${t}, your turn`).join("|")}|BRICK: |Tool forge: |Tool result |The tool failed )`,
);

/** Every persona echoes the last user question it saw (the team's messages aside), so answers differ per turn. */
export function echoLastQuestion(request: OllamaChatRequest): string {
  const users = request.messages.filter((m) => m.role === "user" && !isTeamMessage(m));
  return `${request.model} on "${users.at(-1)?.content ?? ""}"`;
}

/** A loopback port that nothing listens on (just freed): for servers to start on, or to find nobody home. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
