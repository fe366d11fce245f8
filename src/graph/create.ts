/**
 * `createGraph()` and `createToolForge()`: the agent graph, built from configuration or from any
 * parts the caller supplies.
 *
 *   const graph = await createGraph();                    // everything from the environment
 *   const { graph, close } = await createToolForge();     // the same, plus what to close
 *
 * With no options: `loadConfig()`, then `createRuntime(config)` (store, sandbox, bus, registry,
 * forge) and the store's checkpointer, so `getState` and continuing a thread by `thread_id` work
 * out of the box. Options replace any part; parts passed in belong to the caller and are not closed.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { loadConfig, type Config } from "../config.js";
import { createRuntime, type Runtime, type RuntimeOverrides } from "../runtime.js";
import { buildGraph, type ToolForgeGraph } from "./build.js";
import { PersonaModels, type PersonaChatModels } from "./models.js";

export interface CreateGraphOptions extends RuntimeOverrides {
  /** The configuration (default: `loadConfig()`: the environment and `.env`). Ignored with `runtime`. */
  config?: Config;
  /** A runtime the caller opened (and closes); without it one is created from `config` and the parts below. */
  runtime?: Runtime;
  /** Chat models per persona (default: ChatOllama with the persona's model at OLLAMA_HOST). */
  models?: PersonaChatModels;
  /** Conversation checkpoints: default the store's; `false` for none (each invoke starts afresh). */
  checkpointer?: BaseCheckpointSaver | false;
}

export interface ToolForge {
  graph: ToolForgeGraph;
  runtime: Runtime;
  /** Closes what createToolForge opened (the runtime, unless it was passed in); safe to call twice. */
  close(): Promise<void>;
}

export async function createToolForge(options: CreateGraphOptions = {}): Promise<ToolForge> {
  const { runtime: given, config: givenConfig, models, checkpointer, ...overrides } = options;
  const runtime = given ?? (await createRuntime(givenConfig ?? loadConfig(), overrides));
  try {
    const graph = buildGraph(
      {
        config: runtime.config,
        registry: runtime.registry,
        forge: runtime.forge,
        bus: runtime.bus,
        models: new PersonaModels(runtime.config, models, runtime.modelFacts),
        store: runtime.store,
      },
      { checkpointer: checkpointer === false ? undefined : (checkpointer ?? runtime.store.checkpointer()) },
    );
    const close = given ? async () => {} : () => runtime.close();
    return { graph, runtime, close };
  } catch (error) {
    if (!given) {
      await runtime.close().catch((closeError: unknown) => {
        runtime.diagnostics.warn("runtime", `while closing after a failed createGraph: ${String(closeError)}`);
      });
    }
    throw error;
  }
}

/**
 * The compiled agent graph alone, for hosts that keep it for the life of their process (LangGraph
 * Studio and the like): what it opens is never closed. Anything else uses createToolForge, whose
 * `close` does.
 */
export async function createGraph(options: CreateGraphOptions = {}): Promise<ToolForgeGraph> {
  return (await createToolForge(options)).graph;
}
