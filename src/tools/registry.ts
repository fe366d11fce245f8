/**
 * The live tool registry (see ./types.ts for the contract). It follows the store's registry
 * revision: `refresh()` reads the revision (one cheap query), so a tool installed or rolled back by
 * this process or another one sharing the store is seen on the next model call.
 *
 * Lazy, so that a library of 10,000 tools costs what a library of 10 does: nothing is loaded at
 * refresh. Binding a forged tool (`langChainToolsFor`) needs only its name, description and schema
 * (one store read, cached per version). Calling it loads it: rebuild its mirror files where missing
 * or different (the store is the truth), compile its schema, then `import()` its generated loader
 * with a URL that carries the version and sha256, so a new version is a new module and never a
 * cached old one. Bound and loaded tools are re-checked against the store's active version after
 * the revision moves. Listing, counting and searching go through the store.
 * Forged tools run only in the sandbox; built-in tools (trusted, shipped with ToolForge) run here.
 */
import { pathToFileURL } from "node:url";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { EventBus } from "../events.js";
import type { Sandbox } from "../sandbox/types.js";
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, coverage, libraryFields, queryTerms, type LibraryFields } from "../store/library-text.js";
import type { JsonObject, JsonValue, Store, ToolSummary, ToolVersion } from "../store/types.js";
import { compileArgsSchema, type ArgsCheck } from "./args.js";
import { FIND_TOOLS, FIND_TOOLS_DESCRIPTION, FIND_TOOLS_SCHEMA, runFindTools } from "./find-tools.js";
import { toLangChainTool, type CallThrough } from "./langchain.js";
import type { LoaderModule } from "./loader-template.js";
import { createToolMirror, type ToolMirror } from "./mirror.js";
import { DEFAULT_MAX_RESULT_BYTES, abortedFailure, busyFailure, capResult, failure, outcomeFromJob } from "./outcome.js";
import type { RegisteredTool, ToolCallOptions, ToolCallOutcome, ToolMatch, ToolRegistry } from "./types.js";
import { SandboxBusyError, errorMessage } from "../errors.js";

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
  /**
   * The `find_tools` built-in (search the library; what it finds is bound on BRICK's next call):
   * `limit` is how many tools one call names (default 4); `false` leaves it out.
   */
  findTools?: { limit: number } | false;
  /** Wall-clock limit of one forged-tool call (default: the sandbox's own default). */
  callTimeoutMs?: number;
  /** Results larger than this many bytes of JSON come back as `result_too_large` (default 16 KiB). */
  maxResultBytes?: number;
  /** Re-ranks store search results (e.g. by embeddings); given the query and the hits, best first. */
  rerank?: (query: string, matches: ToolMatch[]) => Promise<ToolMatch[]>;
}

/** A tool version the registry could not load (kept out of the bound set, reported here). */
export interface LoadProblem {
  name: string;
  version: number;
  error: string;
}

export interface LiveToolRegistry extends ToolRegistry {
  readonly mirror: ToolMirror;
  /** Versions that failed to load when last bound or called (bad schema, unreadable mirror, …) and forged tools shadowed by a built-in. */
  readonly loadProblems: readonly LoadProblem[];
}

export const DEFAULT_FIND_TOOLS_LIMIT = 4;

/**
 * Forged tools kept described for binding, and store reads of forged tools kept for the current
 * revision (each a small object; the library may hold thousands).
 */
const DESCRIBED_CACHE = 2_000;

interface ForgedEntry {
  origin: "forged";
  tool: RegisteredTool;
  check: ArgsCheck;
  sha256: string;
  loader: LoaderModule;
}

interface BuiltinEntry {
  origin: "builtin";
  tool: RegisteredTool;
  check: ArgsCheck;
  builtin: BuiltinTool;
  langChain: StructuredToolInterface | null;
  /** What a search matches it by (built-ins are not in the store's index). */
  fields: LibraryFields;
}

type Entry = ForgedEntry | BuiltinEntry;

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

const forgedTool = (summary: ToolSummary): RegisteredTool => ({
  name: summary.name,
  version: summary.activeVersion,
  description: summary.description,
  schema: summary.schema,
  origin: "forged",
});

class Registry implements LiveToolRegistry {
  readonly mirror: ToolMirror;
  private readonly builtins = new Map<string, BuiltinEntry>();
  private readonly forged = new Map<string, ForgedEntry>();
  private loadedRevision = -1;
  /** Forged tools shadowed by a built-in (checked at each revision) and tools that failed to load. */
  private readonly shadowed = new Map<string, LoadProblem>();
  private readonly failed = new Map<string, LoadProblem>();
  private chain: Promise<unknown> = Promise.resolve();
  private counted: { revision: number; count: number } | null = null;
  private listed: { revision: number; tools: readonly RegisteredTool[] } | null = null;
  /** LangChain tools of forged tools by name, for binding (description and schema only; nothing loaded). */
  private readonly described = new Map<string, { version: number; langChain: StructuredToolInterface }>();
  /** Forged tools as the store described them (null: no such tool) at the revision they were read at. */
  private readonly stored = new Map<string, { revision: number; tool: RegisteredTool | null }>();
  private allTools: { revision: number; tools: StructuredToolInterface[] } | null = null;
  private readonly maxResultBytes: number;

  constructor(private readonly options: ToolRegistryOptions) {
    this.mirror = createToolMirror(options.dynamicToolsDir);
    this.maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
    const builtins = [...(options.builtins ?? [])];
    if (options.findTools !== false && !builtins.some((b) => b.name === FIND_TOOLS)) {
      const limit = options.findTools?.limit ?? DEFAULT_FIND_TOOLS_LIMIT;
      builtins.push({
        name: FIND_TOOLS,
        description: FIND_TOOLS_DESCRIPTION,
        schema: FIND_TOOLS_SCHEMA,
        run: (args) => runFindTools(args, (query, max) => this.search(query, { limit: max }), limit),
      });
    }
    for (const builtin of builtins) {
      this.builtins.set(builtin.name, {
        origin: "builtin",
        tool: { name: builtin.name, version: 1, description: builtin.description, schema: builtin.schema, origin: "builtin" },
        check: compileArgsSchema(builtin.name, builtin.schema),
        builtin,
        langChain: null,
        fields: libraryFields({
          kind: "tool",
          name: builtin.name,
          objectId: null,
          version: 1,
          description: builtin.description,
          schema: builtin.schema,
          spec: null,
        }),
      });
    }
  }

  get revision(): number {
    return this.loadedRevision;
  }

  get loadProblems(): readonly LoadProblem[] {
    return [...this.shadowed.values(), ...this.failed.values()];
  }

  /** Serialised: concurrent callers each see a refresh that started after they asked. */
  refresh(): Promise<boolean> {
    const next = this.chain.then(() => this.refreshNow());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async refreshNow(): Promise<boolean> {
    const revision = await this.options.store.registryRevision();
    if (revision === this.loadedRevision) return false;
    for (const name of this.builtins.keys()) {
      const forged = await this.options.store.getTool(name);
      if (!forged) {
        this.shadowed.delete(name);
        continue;
      }
      if (this.shadowed.get(name)?.version !== forged.activeVersion) {
        const problem = { name, version: forged.activeVersion, error: "a built-in tool has this name; the forged one is not bound" };
        this.shadowed.set(name, problem);
        process.emitWarning(`tool ${name} v${forged.activeVersion} is not bound: ${problem.error}`, "ToolRegistryWarning");
      }
    }
    this.loadedRevision = revision;
    return true;
  }

  /** The entry of a tool, loading a forged one on first use and after its active version changed. */
  private async entry(name: string): Promise<Entry | null> {
    const builtin = this.builtins.get(name);
    if (builtin) return builtin;
    const active = await this.storedTool(name);
    if (!active) {
      this.forged.delete(name);
      return null;
    }
    const cached = this.forged.get(name);
    if (cached && cached.tool.version === active.version) return cached;
    const version = await this.options.store.getToolVersion(name, active.version);
    if (!version) return null;
    try {
      const loaded = await this.load(version);
      this.forged.set(name, loaded);
      this.failed.delete(name);
      return loaded;
    } catch (error) {
      const problem = { name, version: version.version, error: errorMessage(error) };
      this.forged.delete(name);
      this.failed.set(name, problem);
      process.emitWarning(`tool ${name} v${version.version} is not bound: ${problem.error}`, "ToolRegistryWarning");
      return null;
    }
  }

  private async load(version: ToolVersion): Promise<ForgedEntry> {
    await this.mirror.ensure(version);
    const check = compileArgsSchema(version.toolName, version.schema);
    const loader = await importLoader(this.mirror.paths(version.toolName, version.version).loader, version);
    return {
      origin: "forged",
      tool: {
        name: version.toolName,
        version: version.version,
        description: version.description,
        schema: version.schema,
        origin: "forged",
      },
      check,
      sha256: version.sha256,
      loader,
    };
  }

  async list(): Promise<readonly RegisteredTool[]> {
    await this.refresh();
    if (this.listed?.revision !== this.loadedRevision) {
      // The revision before the read: a read racing a newer refresh is never kept as the newer revision's list.
      const revision = this.loadedRevision;
      const forged = (await this.options.store.listTools()).filter((t) => !this.builtins.has(t.name)).map(forgedTool);
      const tools = [...[...this.builtins.values()].map((e) => e.tool), ...forged].sort((a, b) => a.name.localeCompare(b.name));
      this.listed = { revision, tools };
    }
    return this.listed.tools;
  }

  async get(name: string): Promise<RegisteredTool | null> {
    await this.refresh();
    const builtin = this.builtins.get(name);
    if (builtin) return builtin.tool;
    return this.storedTool(name);
  }

  /**
   * The store's active version of a forged tool, read once per registry revision (a bound or loaded
   * tool is re-checked through here after the revision moves).
   */
  private async storedTool(name: string): Promise<RegisteredTool | null> {
    const cached = this.stored.get(name);
    if (cached && cached.revision === this.loadedRevision) return cached.tool;
    // The revision before the read: a read racing a newer refresh is never kept as the newer revision's.
    const revision = this.loadedRevision;
    const summary = await this.options.store.getTool(name);
    const tool = summary ? forgedTool(summary) : null;
    this.stored.delete(name);
    if (this.stored.size >= DESCRIBED_CACHE) this.stored.delete(this.stored.keys().next().value!);
    this.stored.set(name, { revision, tool });
    return tool;
  }

  async count(): Promise<number> {
    await this.refresh();
    if (this.counted?.revision !== this.loadedRevision) {
      // As in list(): the revision before the read, so a count racing a newer refresh is never kept as the newer one's.
      const revision = this.loadedRevision;
      const shadowed = this.shadowed.size;
      const stored = await this.options.store.countTools();
      this.counted = { revision, count: stored + this.builtins.size - shadowed };
    }
    return this.counted.count;
  }

  async search(query: string, options: { limit?: number } = {}): Promise<ToolMatch[]> {
    await this.refresh();
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    const wanted = queryTerms(query);
    // Re-ranking (embeddings) looks at more candidates than it returns.
    const candidates = this.options.rerank ? Math.max(limit * 3, 24) : limit;
    const hits = await this.options.store.searchLibrary(query, {
      kind: "tool",
      limit: Math.min(MAX_SEARCH_LIMIT, candidates + this.shadowed.size),
    });
    let stored: ToolMatch[] = hits
      .filter((hit) => !this.builtins.has(hit.name))
      .map((hit) => ({
        name: hit.name,
        description: hit.description,
        origin: "forged" as const,
        score: hit.score,
        coverage: coverage(wanted, hit.fields),
      }));
    if (this.options.rerank && stored.length > 1) stored = await this.options.rerank(query, stored);
    return placeBuiltins(stored, this.builtinMatches(wanted)).slice(0, limit);
  }

  /** Built-ins are not in the store's index: each matches by how much of the query it covers. */
  private builtinMatches(wanted: string[]): ToolMatch[] {
    const out: ToolMatch[] = [];
    for (const { tool, fields } of this.builtins.values()) {
      const covers = coverage(wanted, fields);
      if (covers > 0) out.push({ name: tool.name, description: tool.description, origin: "builtin", score: covers, coverage: covers });
    }
    return out.sort((a, b) => b.coverage - a.coverage);
  }

  async langChainToolsFor(names: readonly string[]): Promise<StructuredToolInterface[]> {
    await this.refresh();
    const out: StructuredToolInterface[] = [];
    const seen = new Set<string>();
    const callThrough: CallThrough = (toolName, args, options) => this.call(toolName, args, options);
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      const builtin = this.builtins.get(name);
      if (builtin) {
        builtin.langChain ??= toLangChainTool(builtin.tool, callThrough);
        out.push(builtin.langChain);
        continue;
      }
      const bound = await this.describedTool(name, callThrough);
      if (bound) out.push(bound);
    }
    return out;
  }

  /** A forged tool as a LangChain tool for binding: its active version's description and schema. */
  private async describedTool(name: string, callThrough: CallThrough): Promise<StructuredToolInterface | null> {
    const active = await this.storedTool(name);
    if (!active) {
      this.described.delete(name);
      return null;
    }
    const cached = this.described.get(name);
    if (cached && cached.version === active.version) return cached.langChain;
    // A library of thousands is bound a few tools at a time: keep the most recent ones only.
    if (this.described.size >= DESCRIBED_CACHE) this.described.delete(this.described.keys().next().value!);
    const langChain = toLangChainTool(active, callThrough);
    this.described.set(name, { version: active.version, langChain });
    return langChain;
  }

  async langChainTools(): Promise<StructuredToolInterface[]> {
    await this.refresh();
    if (this.allTools?.revision !== this.loadedRevision) {
      const revision = this.loadedRevision;
      // With every tool bound there is nothing left to find: find_tools is left out.
      const tools = await this.langChainToolsFor((await this.list()).map((t) => t.name).filter((name) => name !== FIND_TOOLS));
      this.allTools = { revision, tools };
    }
    return this.allTools.tools;
  }

  async call(name: string, args: unknown, options: ToolCallOptions = {}): Promise<ToolCallOutcome> {
    const started = performance.now();
    const { outcome, version } = await this.callUnpublished(name, args, started, options.signal);
    this.options.bus.publish({
      type: "tool.called",
      name,
      version,
      durationMs: outcome.durationMs,
      outcome: outcome.ok ? "ok" : "error",
      ...(outcome.ok ? {} : { error: `${outcome.kind}: ${outcome.error}` }),
    });
    return outcome;
  }

  /** The call's outcome and the version it was for (null: no such tool, or the registry could not tell). */
  private async callUnpublished(
    name: string,
    args: unknown,
    started: number,
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: ToolCallOutcome; version: number | null }> {
    const elapsed = () => Math.round(performance.now() - started);
    if (signal?.aborted) return { outcome: abortedFailure(name, 0), version: null };
    let entry: Entry | null;
    try {
      // Installed or rolled back by another process since the last refresh? The revision says.
      await this.refresh();
      entry = await this.entry(name);
    } catch (error) {
      return { outcome: failure("sandbox", `the tool registry could not be refreshed: ${errorMessage(error)}`, elapsed()), version: null };
    }
    if (!entry) {
      const problem = this.failed.get(name);
      if (problem) {
        const outcome = failure("sandbox", `${name} v${problem.version} could not be loaded: ${problem.error}`, elapsed());
        return { outcome, version: problem.version };
      }
      return { outcome: failure("unknown_tool", await this.unknownToolMessage(name), elapsed()), version: null };
    }
    const { version } = entry.tool;
    const checked = entry.check(args ?? {});
    if (!checked.ok) return { outcome: failure("invalid_arguments", checked.message, elapsed()), version };

    if (entry.origin === "builtin") {
      try {
        const result = await entry.builtin.run((args ?? {}) as JsonObject);
        return { outcome: capResult(name, result, this.maxResultBytes, elapsed()), version };
      } catch (error) {
        return { outcome: failure("threw", `${name} threw ${errorMessage(error)}`, elapsed()), version };
      }
    }
    try {
      const timeoutMs = this.options.callTimeoutMs;
      const runOptions = { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(signal ? { signal } : {}) };
      const job = (await entry.loader.run(this.options.sandbox, args ?? {}, runOptions)) as Parameters<typeof outcomeFromJob>[1];
      return { outcome: { ...outcomeFromJob(name, job, this.maxResultBytes, timeoutMs), durationMs: elapsed() }, version };
    } catch (error) {
      if (error instanceof SandboxBusyError) return { outcome: busyFailure(name, error, elapsed()), version };
      return { outcome: failure("sandbox", `${name} could not be run in the sandbox: ${errorMessage(error)}`, elapsed()), version };
    }
  }

  /** Names the closest tools rather than all of them (the library may hold thousands). */
  private async unknownToolMessage(name: string): Promise<string> {
    const close = (await this.search(name, { limit: 5 }).catch(() => [] as ToolMatch[])).map((m) => m.name).filter((n) => n !== FIND_TOOLS);
    const hint = this.builtins.has(FIND_TOOLS) ? `; ${FIND_TOOLS} searches the library` : "";
    return `there is no tool named ${JSON.stringify(name)}${close.length ? ` (closest: ${close.join(", ")})` : ""}${hint}`;
  }
}

/**
 * The store's hits keep their (BM25) order; each built-in goes in before the first hit that covers
 * less of the query than it does, and takes that hit's score (so scores stay in order).
 */
function placeBuiltins(stored: ToolMatch[], builtins: ToolMatch[]): ToolMatch[] {
  const out: ToolMatch[] = [];
  let next = 0;
  for (const hit of stored) {
    while (next < builtins.length && builtins[next]!.coverage > hit.coverage) out.push({ ...builtins[next++]!, score: hit.score });
    out.push(hit);
  }
  const floor = out.at(-1)?.score ?? 1;
  while (next < builtins.length) {
    const builtin = builtins[next++]!;
    out.push({ ...builtin, score: floor * builtin.coverage });
  }
  return out;
}
