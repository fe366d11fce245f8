/**
 * Adding hand-written tools: `toolforge tools add <file.ts|dir>` and POST /tools. A module goes
 * through the SAME contract, audit and sandbox validation as a forged one (validateModule: transpile,
 * audit, the runner in gVisor with its test), then the same install (one store transaction, the
 * mirror, the registry). It is recorded as added by hand (origin "added", no forge run), not forged.
 * A module that fails is refused with the stage and the reason, and nothing of it is installed.
 * Several modules are validated in parallel, as many at a time as the sandbox pool has containers.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { MAX_SOURCE_CHARS } from "../contract.js";
import { InvalidInputError, errorMessage } from "../errors.js";
import type { EventBus } from "../events.js";
import type { Sandbox } from "../sandbox/types.js";
import { inParallel } from "../util/in-parallel.js";
import { checkModule } from "./check.js";
import { installTool, toolRefusal, type InstallDeps } from "./install.js";
import type { ValidationStage } from "./validate.js";

export interface AddToolDeps extends InstallDeps {
  sandbox: Sandbox;
  bus?: EventBus | undefined;
}

/** One module to add: its TypeScript (or JavaScript) source and where it came from (for messages). */
export interface ModuleSource {
  file: string;
  source: string;
}

export type AddOutcome =
  | { file: string; status: "added"; name: string; version: number; durationMs: number }
  | { file: string; status: "refused"; stage: ValidationStage | "install"; reason: string; durationMs: number };

/** The file endings `tools add` reads from a directory. */
const MODULE_FILE = /\.(ts|mts|js|mjs)$/;

/** Checks one module in the sandbox and installs it when it passes; never throws for the module's faults. */
export async function addToolModule(deps: AddToolDeps, module: ModuleSource): Promise<AddOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refuse = (stage: ValidationStage | "install", reason: string): AddOutcome => ({
    file: module.file,
    status: "refused",
    stage,
    reason,
    durationMs: elapsed(),
  });

  const check = await checkModule(deps, { source: module.source, contract: "tool" });
  if (!check.ok) return refuse(check.stage, check.failure);
  const refusal = await toolRefusal(deps, check.module, { expectedName: null, newVersion: true });
  if (refusal !== null) return refuse("install", refusal);
  const installed = await installTool(deps, check.module, { origin: "added" });
  const { toolName: name, version } = installed.version;
  deps.bus?.publish({ type: "tool.added", name, version });
  return { file: module.file, status: "added", name, version, durationMs: elapsed() };
}

/** An added module as JSON: POST /tools' answer, and what `toolforge tools add` prints. */
export function addedJson(outcome: Extract<AddOutcome, { status: "added" }>) {
  return {
    status: "added",
    name: outcome.name,
    version: outcome.version,
    origin: "added",
    file: outcome.file,
    duration_ms: outcome.durationMs,
  };
}

/**
 * Adds every module, `concurrency` at a time (default: one), in the order given. Two modules that
 * export the same name both install, as consecutive versions (the later file wins).
 */
export async function addToolModules(deps: AddToolDeps, modules: readonly ModuleSource[], concurrency = 1): Promise<AddOutcome[]> {
  return inParallel(modules, concurrency, async (module): Promise<AddOutcome> => {
    try {
      return await addToolModule(deps, module);
    } catch (error) {
      // Not the module's fault (the sandbox or the store failed): report it against this file.
      return {
        file: module.file,
        status: "refused",
        stage: "install",
        reason: `could not be added: ${errorMessage(error)}`,
        durationMs: 0,
      };
    }
  });
}

/** The modules at `target`: the file itself, or the module files directly in the directory (sorted). */
export async function readModuleSources(target: string): Promise<ModuleSource[]> {
  let info;
  try {
    info = await stat(target);
  } catch (error) {
    throw new InvalidInputError(
      `cannot read ${target}: ${errorMessage(error)}`,
      "give a .ts file of the tool contract, or a directory of them",
    );
  }
  const files = info.isDirectory()
    ? (await readdir(target))
        .filter((f) => MODULE_FILE.test(f) && !f.endsWith(".d.ts"))
        .sort()
        .map((f) => path.join(target, f))
    : [target];
  if (files.length === 0) throw new InvalidInputError(`${target} holds no module files (.ts, .mts, .js, .mjs)`);
  const sources: ModuleSource[] = [];
  for (const file of files) {
    const source = await readFile(file, "utf8");
    if (source.length > MAX_SOURCE_CHARS)
      throw new InvalidInputError(`${file} is ${source.length} characters long, over the ${MAX_SOURCE_CHARS} limit of a module`);
    sources.push({ file, source });
  }
  return sources;
}
