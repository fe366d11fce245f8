/**
 * The admission of a module: the ONE way a module enters the library, whoever wrote it — the
 * forge (a model), `toolforge tools add` and POST /tools (a person), and what builds on them
 * (consent, composition). Check (transpile, audit, the sandbox test), admit (the host's rules),
 * install (one store transaction, the mirror, the registry).
 *
 *   const admission = createAdmission({ store, sandbox, mirror, registry, bus, diagnostics });
 *   const check = await admission.check({ source, contract: "tool" });
 *   if (check.ok && !(await admission.toolRefusal(check.module, rules))) await admission.installTool(check.module, provenance);
 *   await admission.addTool({ file, source });          // all three, for a module written by hand
 */
import type { Diagnostics } from "../diagnostics.js";
import { processDiagnostics } from "../diagnostics.js";
import type { EventBus } from "../events.js";
import type { Sandbox } from "../sandbox/types.js";
import type { MethodVersion, Store } from "../store/types.js";
import type { ToolMirror } from "../tools/mirror.js";
import type { ToolRegistry } from "../tools/types.js";
import { addToolModule, addToolModules, type AddOutcome, type ModuleSource } from "./add.js";
import { versionCache } from "../tools/dependencies.js";
import { checkModule, type CheckRequest, type CheckedModule, type ModuleCheck } from "./check.js";
import { installMethod, installTool, toolRefusal, type InstalledTool, type ToolRules } from "./install.js";
import { updateTool, type UpdateOutcome } from "./update.js";

export type { AddOutcome, ModuleSource } from "./add.js";
export { addedJson, readModuleSources } from "./add.js";
export type { CheckedModule, CheckRequest, ModuleCheck } from "./check.js";
export type { InstalledTool, ToolRules } from "./install.js";
export type { ValidationStage } from "./validate.js";
export type { PinMove, UpdateOutcome } from "./update.js";
export { updatedJson } from "./update.js";

export interface AdmissionDeps {
  store: Store;
  sandbox: Sandbox;
  /** The mirror of installed tools (the registry's). */
  mirror: ToolMirror;
  /** Refreshed after an install, so this process binds the tool at once. */
  registry?: ToolRegistry | undefined;
  bus?: EventBus | undefined;
  diagnostics?: Diagnostics | undefined;
}

export interface Admission {
  /** Transpiles, audits and runs the module's test (and a method's dry run) in the sandbox. */
  check(request: CheckRequest): Promise<ModuleCheck>;
  /** Why a checked tool may not be installed under these rules, or null when it may. */
  toolRefusal(module: CheckedModule, rules: ToolRules): Promise<string | null>;
  /** Installs a checked, admitted tool as the next version of its name. */
  installTool(module: CheckedModule, provenance: { origin: "forged"; forgeRunId: string } | { origin: "added" }): Promise<InstalledTool>;
  /** Installs a checked method on an object. */
  installMethod(module: CheckedModule, target: { objectId: string; selector: string; forgeRunId: string }): Promise<MethodVersion>;
  /** Check, admit and install a module written by hand; a refusal says at which stage and why. */
  addTool(module: ModuleSource): Promise<AddOutcome>;
  /** addTool for several, `concurrency` at a time, in order; a failure not the module's is a refusal of that file. */
  addTools(modules: readonly ModuleSource[], concurrency?: number): Promise<AddOutcome[]>;
  /** Moves a tool's pins to the active versions of the tools it uses, if its test passes against them. */
  updateTool(name: string, signal?: AbortSignal): Promise<UpdateOutcome>;
}

export function createAdmission(deps: AdmissionDeps): Admission {
  const parts = { ...deps, diagnostics: deps.diagnostics ?? processDiagnostics, versions: versionCache() };
  return {
    check: (request) => checkModule(parts, request),
    toolRefusal: (module, rules) => toolRefusal(parts, module, rules),
    installTool: (module, provenance) => installTool(parts, module, provenance),
    installMethod: (module, target) => installMethod(parts, module, target),
    addTool: (module) => addToolModule(parts, module),
    addTools: (modules, concurrency) => addToolModules(parts, modules, concurrency),
    updateTool: (name, signal) => updateTool(parts, name, signal),
  };
}
