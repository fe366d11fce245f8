/** The runtime's registry and sandbox as the tool routes' library (search what BRICK is offered, add modules). */
import type { Runtime } from "../runtime.js";
import { addToolModule, type AddOutcome, type ModuleSource } from "./add.js";
import { createToolMirror } from "./mirror.js";
import type { ToolRegistry } from "./types.js";

/** What GET /tools?q= and POST /tools need beyond the store (the server passes its runtime's). */
export interface ToolLibraryDeps {
  registry: ToolRegistry;
  /** TOOL_BIND_LIMIT. */
  bindLimit: number;
  /** Validates a module in the sandbox and installs it (./add.ts). */
  addTool: (module: ModuleSource) => Promise<AddOutcome>;
}

export function toolLibrary(runtime: Pick<Runtime, "config" | "store" | "sandbox" | "registry" | "bus">): ToolLibraryDeps {
  const mirror = createToolMirror(runtime.config.dynamicToolsDir);
  const deps = { store: runtime.store, sandbox: runtime.sandbox, mirror, registry: runtime.registry, bus: runtime.bus };
  return {
    registry: runtime.registry,
    bindLimit: runtime.config.toolBindLimit,
    addTool: (module) => addToolModule(deps, module),
  };
}
