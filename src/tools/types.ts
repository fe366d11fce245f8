/**
 * The live tool registry: the tools the agent can use right now. It follows the store's registry
 * revision, so a tool installed by this process or any other sharing the store is bound on the
 * next model call. Every call of a forged tool runs in the sandbox, never in this process.
 * It scales with the library: nothing is loaded until it is bound or called, and the library is
 * searched through the store (`search`), never listed whole to pick what to bind.
 */
import type { OutsideRequestRecord } from "../events.js";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { JsonObject, JsonValue, ToolPin } from "../store/types.js";
import type { ConsentRequest } from "./consent.js";

export interface RegisteredTool {
  name: string;
  version: number;
  description: string;
  schema: JsonObject;
  /** "forged": runs in the sandbox; "builtin": ships with ToolForge. */
  origin: "forged" | "builtin";
  /** The hosts it calls, each reached only once a person granted it ([] for most tools and every built-in). */
  hosts: string[];
  /** The library tools it uses, pinned ([] for most tools and every built-in). */
  uses: ToolPin[];
}

export type ToolCallOutcome = (
  | { ok: true; result: JsonValue; durationMs: number }
  | {
      ok: false;
      /** What went wrong, phrased for the model: bad arguments, the tool threw, timeout, memory, … */
      error: string;
      /**
       * `aborted`: the caller's signal stopped the call. `busy`: the sandbox had no room for it (all
       * containers busy and the queue full, or it waited too long); nothing ran: retry later.
       * `not_granted`: the tool reaches hosts a person has not granted; nothing ran.
       */
      kind:
        | "unknown_tool"
        | "invalid_arguments"
        | "threw"
        | "timeout"
        | "memory"
        | "sandbox"
        | "result_too_large"
        | "aborted"
        | "busy"
        | "not_granted"
        | "missing_dependency";
      durationMs: number;
      /** For `busy`: when a retry may find room. */
      retryAfterSeconds?: number;
      /** For "not_granted": what the tool asks a person for. */
      consent?: ConsentRequest;
    }
) & {
  /** The outside requests the call made through the host, in order (only when it made any). */
  requests?: OutsideRequestRecord[];
};

/** What a caller may pass to `ToolRegistry.call`. */
export interface ToolCallOptions {
  /**
   * Stops the call when aborted (e.g. the turn was cancelled: LangGraph's `config.signal`): a forged
   * tool waiting for the sandbox leaves its queue, a running one is killed with its container. The
   * outcome is then `{ ok: false, kind: "aborted" }`.
   */
  signal?: AbortSignal | undefined;
}

/** A tool found by `ToolRegistry.search`. */
export interface ToolMatch {
  name: string;
  description: string;
  origin: RegisteredTool["origin"];
  /** Relevance, higher is better; comparable only within one search. */
  score: number;
  /** How much of the query the tool's name, description and arguments cover, 0–1 (library-text.ts `coverage`). */
  coverage: number;
}

export interface ToolRegistry {
  /** Reloads from the store when its registry revision moved; returns true when something changed. */
  refresh(): Promise<boolean>;
  /** The revision the loaded tool set corresponds to. */
  readonly revision: number;
  /** The current tools (after a refresh), as plain descriptions (cached until the revision moves: read, never change). */
  list(): Promise<readonly RegisteredTool[]>;
  get(name: string): Promise<RegisteredTool | null>;
  /** The LangChain tools of these names, in this order (names that do not exist or cannot load are left out), each loaded on first use. */
  langChainToolsFor(names: readonly string[]): Promise<StructuredToolInterface[]>;
  /** How many tools there are, built-ins included (cheap: cached until the revision moves). */
  count(): Promise<number>;
  /** Tools whose name, description, arguments or spec match `query`, best first (built-ins and the store's). */
  search(query: string, options?: { limit?: number }): Promise<ToolMatch[]>;
  /** What a tool still asks a person for before it may be called (null: nothing: it calls no host, or all stand granted, or no such tool). */
  consentRequest(name: string): Promise<ConsentRequest | null>;
  /** Checks `args` against the tool's schema (coercing unambiguous scalars in place), as `call` would; never throws. */
  checkArgs(name: string, args: unknown): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Validates `args` against the tool's schema, runs it (sandbox for forged tools), never throws. */
  call(name: string, args: unknown, options?: ToolCallOptions): Promise<ToolCallOutcome>;
}
