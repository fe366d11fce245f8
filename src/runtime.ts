/**
 * The ONE place that wires ToolForge's parts from configuration: the store, the sandbox, the event
 * bus, the live tool registry and the forge. The graph (createGraph), the server and the CLI build
 * on a Runtime; tests and embedders override any part. Parts passed in as overrides belong to the
 * caller: `close()` closes only what the runtime opened itself.
 */
import type { Config } from "./config.js";
import type { EgressHooks } from "./egress/types.js";
import { loadConfig } from "./config.js";
import { EventBus } from "./events.js";
import { createAdmission, type Admission } from "./admission/index.js";
import { DiagnosticsChannel } from "./diagnostics.js";
import { createForge } from "./forge/forge.js";
import { ModelFactsCache } from "./personas/model-info.js";
import type { ForgeModelSource } from "./forge/prompt.js";
import type { Forge } from "./forge/types.js";
import { createSandbox } from "./sandbox/index.js";
import type { Sandbox } from "./sandbox/types.js";
import { openStore } from "./store/index.js";
import type { Store } from "./store/types.js";
import { createToolRegistry, type BuiltinTool, type ToolRegistryOptions } from "./tools/registry.js";
import { createEmbeddingRerank } from "./tools/embeddings.js";
import { createToolMirror } from "./tools/mirror.js";
import { findToolsLimit } from "./tools/selection.js";
import type { ToolRegistry } from "./tools/types.js";

export interface Runtime {
  config: Config;
  store: Store;
  sandbox: Sandbox;
  bus: EventBus;
  registry: ToolRegistry;
  forge: Forge;
  /** The one way a module enters the library: check, admit, install (the forge and `tools add` use it). */
  admission: Admission;
  /** Where every part reports what went wrong in the background (the server logs it, the CLI prints it). */
  diagnostics: DiagnosticsChannel;
  /** What Ollama says about each model (window, capabilities), shared by the personas and the forge. */
  modelFacts: ModelFactsCache;
  /** Closes the sandbox and the store this runtime opened (not overrides); safe to call twice. */
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  store?: Store;
  sandbox?: Sandbox;
  bus?: EventBus;
  registry?: ToolRegistry;
  forge?: Forge;
  /** The forge's chat model (or a factory); default: ChatOllama with FORGE_MODEL at OLLAMA_HOST. */
  forgeModel?: ForgeModelSource;
  /** Built-in tools for the registry (ignored when `registry` is given). */
  builtins?: BuiltinTool[];
  /** Where the parts report background problems (default: a new channel, which falls back to process warnings). */
  diagnostics?: DiagnosticsChannel;
  /** Test hooks of the outside requests tools make (how names resolve, which CAs HTTPS trusts); production leaves them out. */
  egressHooks?: EgressHooks;
}

export async function createRuntime(config: Config = loadConfig(), overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const owned: { close(): Promise<void> }[] = [];
  const diagnostics = overrides.diagnostics ?? new DiagnosticsChannel();
  try {
    const store = overrides.store ?? (await openStore(config, { diagnostics }));
    if (!overrides.store) owned.push(store);
    const sandbox = overrides.sandbox ?? (await createSandbox(config, { diagnostics }));
    if (!overrides.sandbox) owned.push(sandbox);
    const bus = overrides.bus ?? new EventBus(diagnostics);
    const modelFacts = new ModelFactsCache(config.ollamaHost);
    const mirror = createToolMirror(config.dynamicToolsDir);
    const registry =
      overrides.registry ??
      (await createToolRegistry({
        ...toolRegistryOptions(config, { store, sandbox, bus }),
        ...(overrides.egressHooks ? { egressHooks: overrides.egressHooks } : {}),
        mirror,
        diagnostics,
        ...(overrides.builtins ? { builtins: overrides.builtins } : {}),
      }));
    const admission = createAdmission({ store, sandbox, mirror, registry, bus, diagnostics });
    const forge =
      overrides.forge ??
      createForge({
        store,
        admission,
        bus,
        registry,
        config,
        modelFacts,
        ...(overrides.forgeModel ? { model: overrides.forgeModel } : {}),
      });

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= closeAll(owned);
      return closing;
    };
    return { config, store, sandbox, bus, registry, forge, admission, diagnostics, modelFacts, close };
  } catch (error) {
    // A part failed to start: close what did start, then report the original error.
    await closeAll(owned).catch((closeError: unknown) => {
      diagnostics.warn("runtime", `while stopping after a failed start: ${String(closeError)}`);
    });
    throw error;
  }
}

/**
 * The tool registry's options from configuration: the mirror, the find_tools limit, the call
 * timeout and, with EMBED_MODEL, the embedding re-ranking. The runtime's registry and `toolforge
 * tools search --local` both use it, so the search shows what BRICK would be offered.
 */
export function toolRegistryOptions(config: Config, parts: Pick<ToolRegistryOptions, "store" | "sandbox" | "bus">): ToolRegistryOptions {
  return {
    ...parts,
    mirror: createToolMirror(config.dynamicToolsDir),
    callTimeoutMs: config.sandbox.timeoutMs,
    allowLoopback: config.egressAllowLoopback,
    findTools: { limit: findToolsLimit(config.toolBindLimit) },
    ...(config.embedModel ? { rerank: createEmbeddingRerank({ ollamaHost: config.ollamaHost, model: config.embedModel }) } : {}),
  };
}

/** Closes in reverse order of opening (sandbox before store); every part is closed even if one fails. */
async function closeAll(parts: { close(): Promise<void> }[]): Promise<void> {
  const errors: unknown[] = [];
  for (const part of [...parts].reverse()) {
    try {
      await part.close();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "several parts failed to close");
}
