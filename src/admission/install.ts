/**
 * Admitting and installing a checked module.
 *
 * Admitting a tool is the host's own checks after the sandbox's: the name is never one of
 * ToolForge's own (src/contract.ts RESERVED_TOOL_NAMES) nor a built-in's, it is the one asked for,
 * a new name when a new tool is made; its input schema compiles. Installing is
 * ONE store transaction (`installToolVersion`: version row, active pointer, registry revision,
 * event), then the mirror files in DYNAMIC_TOOLS_DIR (each written atomically), then the registry
 * is refreshed so this process binds it on its next model call. The store is the truth: a crash
 * (or a failed write) between the transaction and the mirror is healed by the registry, which
 * rebuilds missing or differing mirror files before loading.
 */
import { RESERVED_TOOL_NAMES } from "../contract.js";
import type { Diagnostics } from "../diagnostics.js";
import { errorMessage } from "../errors.js";
import type { MethodVersion, Store, ToolVersion } from "../store/types.js";
import { compileArgsSchema } from "../tools/args.js";
import type { ToolMirror } from "../tools/mirror.js";
import type { ToolRegistry } from "../tools/types.js";
import type { CheckedModule } from "./check.js";

export interface InstallDeps {
  store: Store;
  mirror: ToolMirror;
  registry?: ToolRegistry | undefined;
  diagnostics: Diagnostics;
}

/** What a tool must be to be installed, besides passing its checks. */
export interface ToolRules {
  /** The name the module must have (a requested tool, an improved one); null: any new name. */
  expectedName: string | null;
  /** A tool of that name may get a new version (an improve, a module added by hand); otherwise the name must be new. */
  newVersion: boolean;
}

/** Why the tool may not be installed (words for the model or the person), or null when it may. */
export async function toolRefusal(
  deps: Pick<InstallDeps, "store" | "registry">,
  module: CheckedModule,
  rules: ToolRules,
): Promise<string | null> {
  const { name } = module;
  if (RESERVED_TOOL_NAMES.has(name)) {
    return `"${name}" is reserved: it names one of ToolForge's own tools (${[...RESERVED_TOOL_NAMES].join(", ")}); choose another name`;
  }
  if (rules.expectedName !== null && name !== rules.expectedName)
    return `the module's name is "${name}" but it must be exactly "${rules.expectedName}"`;
  const registered = await deps.registry?.get(name);
  if (registered?.origin === "builtin") return `"${name}" is the name of a built-in tool: choose another name`;
  if (!rules.newVersion && (registered != null || (await deps.store.getTool(name)) !== null)) {
    return `a tool named "${name}" already exists; choose a different, more specific snake_case name`;
  }
  try {
    compileArgsSchema(name, module.schema);
  } catch (error) {
    return errorMessage(error);
  }
  return null;
}

export interface InstalledTool {
  version: ToolVersion;
  /** Set when the mirror could not be written; the registry rebuilds it from the store. */
  mirrorError: Error | null;
  /** Set when the registry of this process could not reload; it retries on its next refresh. */
  registryError: Error | null;
}

/** Installs a checked, admitted tool as the next version of its name. */
export async function installTool(
  deps: InstallDeps,
  module: CheckedModule,
  provenance: { origin: "forged"; forgeRunId: string } | { origin: "added" },
): Promise<InstalledTool> {
  const version = await deps.store.installToolVersion({
    toolName: module.name,
    description: module.description,
    schema: module.schema ?? { type: "object", properties: {} },
    hosts: module.hosts,
    uses: module.uses,
    source: module.source,
    compiled: module.compiled,
    sha256: module.sha256,
    forgeRunId: provenance.origin === "forged" ? provenance.forgeRunId : null,
    ...(provenance.origin === "added" ? { origin: "added" as const } : {}),
  });
  let mirrorError: Error | null = null;
  try {
    await deps.mirror.write(version);
  } catch (error) {
    // Installed all the same (the store is the truth); say so loudly, the registry heals it.
    mirrorError = error instanceof Error ? error : new Error(String(error));
    deps.diagnostics.warn(
      "tools",
      `tool ${version.toolName} v${version.version} is installed but its mirror could not be written (${mirrorError.message}); the registry rebuilds it from the store`,
    );
  }
  // Bind it now in this process; other processes see the revision move on their next refresh.
  let registryError: Error | null = null;
  if (deps.registry) {
    try {
      await deps.registry.refresh();
    } catch (error) {
      registryError = error instanceof Error ? error : new Error(String(error));
      deps.diagnostics.warn(
        "tools",
        `tool ${version.toolName} v${version.version} is installed but the registry could not reload (${registryError.message}); it binds it on its next refresh`,
      );
    }
  }
  return { version, mirrorError, registryError };
}

/** Installs a checked method on an object, as the next version of its selector there. */
export async function installMethod(
  deps: Pick<InstallDeps, "store">,
  module: CheckedModule,
  target: { objectId: string; selector: string; forgeRunId: string },
): Promise<MethodVersion> {
  return deps.store.installMethodVersion({
    objectId: target.objectId,
    selector: target.selector,
    description: module.description,
    source: module.source,
    compiled: module.compiled,
    sha256: module.sha256,
    forgeRunId: target.forgeRunId,
  });
}
