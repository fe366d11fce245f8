/**
 * The MCP face's parts, taken from a Runtime: the one place that decides what the stdio command
 * and the HTTP route serve.
 */
import type { Runtime } from "../runtime.js";
import type { McpDeps } from "./server.js";

export function mcpDepsFromRuntime(runtime: Pick<Runtime, "registry" | "forge" | "store" | "bus" | "diagnostics">): McpDeps {
  return {
    registry: runtime.registry,
    forge: runtime.forge,
    store: runtime.store,
    bus: runtime.bus,
    diagnostics: runtime.diagnostics,
  };
}
