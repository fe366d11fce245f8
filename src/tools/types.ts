/**
 * The live tool registry: the tools the agent can use right now. It follows the store's registry
 * revision, so a tool installed by this process or any other sharing the store is bound on the
 * next model call. Every call of a forged tool runs in the sandbox, never in this process.
 */
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { JsonObject, JsonValue } from "../store/types.js";

export interface RegisteredTool {
  name: string;
  version: number;
  description: string;
  schema: JsonObject;
  /** "forged": runs in the sandbox; "builtin": ships with ToolForge. */
  origin: "forged" | "builtin";
}

export type ToolCallOutcome =
  | { ok: true; result: JsonValue; durationMs: number }
  | {
      ok: false;
      /** What went wrong, phrased for the model: bad arguments, the tool threw, timeout, memory, … */
      error: string;
      kind: "unknown_tool" | "invalid_arguments" | "threw" | "timeout" | "memory" | "sandbox" | "result_too_large";
      durationMs: number;
    };

export interface ToolRegistry {
  /** Reloads from the store when its registry revision moved; returns true when something changed. */
  refresh(): Promise<boolean>;
  /** The revision the loaded tool set corresponds to. */
  readonly revision: number;
  /** The current tools (after a refresh), as plain descriptions. */
  list(): Promise<RegisteredTool[]>;
  get(name: string): Promise<RegisteredTool | null>;
  /** The current tools as LangChain tools, for `bindTools` and for executing a model's tool calls. */
  langChainTools(): Promise<StructuredToolInterface[]>;
  /** Validates `args` against the tool's schema, runs it (sandbox for forged tools), never throws. */
  call(name: string, args: unknown): Promise<ToolCallOutcome>;
}
