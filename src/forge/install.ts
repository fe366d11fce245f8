/**
 * Installing a validated tool: ONE store transaction (`installToolVersion`: version row, active
 * pointer, registry revision, event), then the mirror files in DYNAMIC_TOOLS_DIR (each written
 * atomically), then the registry is refreshed so this process binds it on its next model call.
 * The store is the truth: a crash (or a failed write) between the transaction and the mirror is
 * healed by the registry, which rebuilds missing or differing mirror files before loading.
 */
import type { NewToolVersion, Store, ToolVersion } from "../store/types.js";
import type { ToolMirror } from "../tools/mirror.js";
import type { ToolRegistry } from "../tools/types.js";

export interface InstallToolDeps {
  store: Store;
  mirror: ToolMirror;
  registry?: ToolRegistry | undefined;
}

export interface InstalledTool {
  version: ToolVersion;
  /** Set when the mirror could not be written; the registry rebuilds it from the store. */
  mirrorError: Error | null;
  /** Set when the registry of this process could not reload; it retries on its next refresh. */
  registryError: Error | null;
}

export async function installTool(deps: InstallToolDeps, input: NewToolVersion): Promise<InstalledTool> {
  const version = await deps.store.installToolVersion(input);
  let mirrorError: Error | null = null;
  try {
    await deps.mirror.write(version);
  } catch (error) {
    // Installed all the same (the store is the truth); say so loudly, the registry heals it.
    mirrorError = error instanceof Error ? error : new Error(String(error));
    process.emitWarning(
      `tool ${version.toolName} v${version.version} is installed but its mirror could not be written (${mirrorError.message}); the registry rebuilds it from the store`,
      "ToolMirrorWarning",
    );
  }
  // Bind it now in this process; other processes see the revision move on their next refresh.
  let registryError: Error | null = null;
  if (deps.registry) {
    try {
      await deps.registry.refresh();
    } catch (error) {
      registryError = error instanceof Error ? error : new Error(String(error));
      process.emitWarning(
        `tool ${version.toolName} v${version.version} is installed but the registry could not reload (${registryError.message}); it binds it on its next refresh`,
        "ToolRegistryWarning",
      );
    }
  }
  return { version, mirrorError, registryError };
}
