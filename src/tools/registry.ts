/**
 * The live tool registry (see ./types.ts for the contract). It follows the store's registry
 * revision: `refresh()` reads the revision (one cheap query) and reloads only when it moved, so a
 * tool installed or rolled back by this process or another one sharing the store is bound on the
 * next model call. Loading a version = rebuild its mirror files where missing or different (the
 * store is the truth), then `import()` its generated loader with a URL that carries the version
 * and sha256, so a new version is a new module and never a cached old one.
 * Forged tools run only in the sandbox; built-in tools (trusted, shipped with ToolForge) run here.
 */
import { pathToFileURL } from "node:url";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { EventBus } from "../events.js";
import type { Sandbox } from "../sandbox/types.js";
import type { JsonObject, JsonValue, Store, ToolVersion } from "../store/types.js";
import { compileArgsSchema, type ArgsCheck } from "./args.js";
import { toLangChainTool } from "./langchain.js";
import type { LoaderModule } from "./loader-template.js";
import { createToolMirror, type ToolMirror } from "./mirror.js";
import { DEFAULT_MAX_RESULT_BYTES, capResult, failure, outcomeFromJob } from "./outcome.js";
import type { RegisteredTool, ToolCallOutcome, ToolRegistry } from "./types.js";
import { errorMessage } from "../errors.js";

/** A tool that ships with ToolForge and runs in the server's process (trusted code only). */
export interface BuiltinTool {
  name: string;
  description: string;
  schema: JsonObject;
  run(args: JsonObject): Promise<JsonValue>;
}

export interface ToolRegistryOptions {
  store: Store;
  sandbox: Sandbox;
  bus: EventBus;
  dynamicToolsDir: string;
  builtins?: BuiltinTool[];
  /** Wall-clock limit of one forged-tool call (default: the sandbox's own default). */
  callTimeoutMs?: number;
  /** Results larger than this many bytes of JSON come back as `result_too_large` (default 16 KiB). */
  maxResultBytes?: number;
}

/** A tool version the registry could not load (kept out of the bound set, reported here). */
export interface LoadProblem {
  name: string;
  version: number;
  error: string;
}

export interface LiveToolRegistry extends ToolRegistry {
  readonly mirror: ToolMirror;
  /** Versions that failed to load at the last reload (bad schema, unreadable mirror, …). */
  readonly loadProblems: readonly LoadProblem[];
}

type Entry =
  | { origin: "forged"; tool: RegisteredTool; check: ArgsCheck; sha256: string; loader: LoaderModule }
  | { origin: "builtin"; tool: RegisteredTool; check: ArgsCheck; builtin: BuiltinTool };

/** Imports a generated loader; the query makes each (version, sha256) its own module instance. */
async function importLoader(file: string, version: ToolVersion): Promise<LoaderModule> {
  const url = `${pathToFileURL(file).href}?v=${version.version}-${version.sha256.slice(0, 16)}`;
  const loaded = (await import(/* @vite-ignore */ url)) as LoaderModule;
  if (loaded.name !== version.toolName || loaded.version !== version.version || loaded.sha256 !== version.sha256) {
    throw new Error(`loader ${file} does not describe ${version.toolName} v${version.version} as the store does`);
  }
  return loaded;
}


export async function createToolRegistry(options: ToolRegistryOptions): Promise<LiveToolRegistry> {
  const registry = new Registry(options);
  await registry.refresh();
  return registry;
}

class Registry implements LiveToolRegistry {
  readonly mirror: ToolMirror;
  private entries = new Map<string, Entry>();
  private loadedRevision = -1;
  private problems: LoadProblem[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private lcTools: { revision: number; tools: StructuredToolInterface[] } | null = null;
  private readonly maxResultBytes: number;

  constructor(private readonly options: ToolRegistryOptions) {
    this.mirror = createToolMirror(options.dynamicToolsDir);
    this.maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  }

  get revision(): number {
    return this.loadedRevision;
  }

  get loadProblems(): readonly LoadProblem[] {
    return this.problems;
  }

  /** Serialised: concurrent callers each see a reload that started after they asked. */
  refresh(): Promise<boolean> {
    const next = this.chain.then(() => this.refreshNow());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async refreshNow(): Promise<boolean> {
    // Read the revision first: an install that lands during the reload moves it again, and the
    // next refresh picks that install up.
    const revision = await this.options.store.registryRevision();
    if (revision === this.loadedRevision) return false;
    const versions = await this.options.store.activeToolVersions();
    const next = new Map<string, Entry>();
    const problems: LoadProblem[] = [];
    for (const builtin of this.options.builtins ?? []) {
      next.set(builtin.name, {
        origin: "builtin",
        tool: { name: builtin.name, version: 1, description: builtin.description, schema: builtin.schema, origin: "builtin" },
        check: compileArgsSchema(builtin.name, builtin.schema),
        builtin,
      });
    }
    for (const version of versions) {
      if (next.has(version.toolName)) {
        problems.push({ name: version.toolName, version: version.version, error: "a built-in tool has this name; the forged one is not bound" });
        continue;
      }
      const current = this.entries.get(version.toolName);
      if (current?.origin === "forged" && current.tool.version === version.version && current.sha256 === version.sha256) {
        next.set(version.toolName, current);
        continue;
      }
      try {
        next.set(version.toolName, await this.load(version));
      } catch (error) {
        problems.push({ name: version.toolName, version: version.version, error: errorMessage(error) });
      }
    }
    for (const problem of problems) {
      process.emitWarning(`tool ${problem.name} v${problem.version} is not bound: ${problem.error}`, "ToolRegistryWarning");
    }
    this.entries = next;
    this.problems = problems;
    this.loadedRevision = revision;
    return true;
  }

  private async load(version: ToolVersion): Promise<Entry> {
    await this.mirror.ensure(version);
    const loader = await importLoader(this.mirror.paths(version.toolName, version.version).loader, version);
    return {
      origin: "forged",
      tool: { name: version.toolName, version: version.version, description: version.description, schema: version.schema, origin: "forged" },
      check: compileArgsSchema(version.toolName, version.schema),
      sha256: version.sha256,
      loader,
    };
  }

  async list(): Promise<RegisteredTool[]> {
    await this.refresh();
    return [...this.entries.values()].map((e) => e.tool).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<RegisteredTool | null> {
    await this.refresh();
    return this.entries.get(name)?.tool ?? null;
  }

  async langChainTools(): Promise<StructuredToolInterface[]> {
    await this.refresh();
    if (this.lcTools?.revision !== this.loadedRevision) {
      const callThrough = (name: string, args: unknown) => this.call(name, args);
      const tools = [...this.entries.values()]
        .map((e) => e.tool)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((tool) => toLangChainTool(tool, callThrough));
      this.lcTools = { revision: this.loadedRevision, tools };
    }
    return this.lcTools.tools;
  }

  async call(name: string, args: unknown): Promise<ToolCallOutcome> {
    const started = performance.now();
    const outcome = await this.callUnpublished(name, args, started);
    this.options.bus.publish({
      type: "tool.called",
      name,
      durationMs: outcome.durationMs,
      outcome: outcome.ok ? "ok" : "error",
      ...(outcome.ok ? {} : { error: `${outcome.kind}: ${outcome.error}` }),
    });
    return outcome;
  }

  private async callUnpublished(name: string, args: unknown, started: number): Promise<ToolCallOutcome> {
    const elapsed = () => Math.round(performance.now() - started);
    let entry: Entry | undefined;
    try {
      entry = this.entries.get(name);
      // Installed by another process since the last refresh? Look once more before giving up.
      if (!entry && (await this.refresh())) entry = this.entries.get(name);
    } catch (error) {
      return failure("sandbox", `the tool registry could not be refreshed: ${errorMessage(error)}`, elapsed());
    }
    if (!entry) {
      const known = [...this.entries.keys()].sort().join(", ") || "none";
      return failure("unknown_tool", `there is no tool named ${JSON.stringify(name)} (tools: ${known})`, elapsed());
    }
    const checked = entry.check(args ?? {});
    if (!checked.ok) return failure("invalid_arguments", checked.message, elapsed());

    if (entry.origin === "builtin") {
      try {
        const result = await entry.builtin.run((args ?? {}) as JsonObject);
        return capResult(name, result, this.maxResultBytes, elapsed());
      } catch (error) {
        return failure("threw", `${name} threw ${errorMessage(error)}`, elapsed());
      }
    }
    try {
      const timeoutMs = this.options.callTimeoutMs;
      const job = (await entry.loader.run(this.options.sandbox, args ?? {}, timeoutMs === undefined ? {} : { timeoutMs })) as Parameters<
        typeof outcomeFromJob
      >[1];
      return { ...outcomeFromJob(name, job, this.maxResultBytes, timeoutMs), durationMs: elapsed() };
    } catch (error) {
      return failure("sandbox", `${name} could not be run in the sandbox: ${errorMessage(error)}`, elapsed());
    }
  }
}
