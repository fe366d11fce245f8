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
import type { StructuredToolInterface } from "@langchain/core/tools";
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import { errorMessage } from "../errors.js";
import type { EventBus } from "../events.js";
import type { EgressHooks } from "../egress/types.js";
import type { Sandbox } from "../sandbox/types.js";
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, coverage, queryTerms } from "../store/library-text.js";
import type { JsonObject, Store, ToolSummary } from "../store/types.js";
import { compileArgsSchema, type ArgsCheck } from "./args.js";
import { builtinEntries, type BuiltinEntry, type BuiltinTool } from "./builtins.js";
import { FIND_TOOLS } from "./find-tools.js";
import { unknownToolMessage } from "./no-such-tool.js";
import { loadForgedTool, type ForgedEntry } from "./forged-loader.js";
import { toLangChainTool, type CallThrough } from "./langchain.js";
import type { ToolMirror } from "./mirror.js";
import type { ConsentRequest } from "./consent.js";
import { versionCache } from "./dependencies.js";
import { callForged, consentRequestFor } from "./forged-call.js";
import { DEFAULT_MAX_RESULT_BYTES, abortedFailure, capResult, failure } from "./outcome.js";
import { RevisionCache } from "./revision-cache.js";
import type { RegisteredTool, ToolCallOptions, ToolCallOutcome, ToolMatch, ToolRegistry } from "./types.js";
import { previewValue } from "../util/text.js";

export type { BuiltinTool } from "./builtins.js";
export { DEFAULT_FIND_TOOLS_LIMIT } from "./builtins.js";

export interface ToolRegistryOptions {
  store: Store;
  sandbox: Sandbox;
  bus: EventBus;
  /** Where installed tools' files are (the registry rebuilds them from the store when missing or different). */
  mirror: ToolMirror;
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
  /** Where a tool that cannot be bound is reported (default: process warnings). */
  diagnostics?: Diagnostics;
  /** Loopback hosts a person granted may be reached by forged tools (EGRESS_ALLOW_LOOPBACK; default off). */
  allowLoopback?: boolean;
  /** Test hooks of the outside requests (src/egress); production leaves them out. */
  egressHooks?: EgressHooks;
}

/** A tool version the registry could not load (kept out of the bound set, reported here). */
export interface LoadProblem {
  name: string;
  version: number;
  error: string;
}

export interface LiveToolRegistry extends ToolRegistry {
  /** Versions that failed to load when last bound or called (bad schema, unreadable mirror, …) and forged tools shadowed by a built-in. */
  readonly loadProblems: readonly LoadProblem[];
}

/**
 * Forged tools kept described for binding, argument checks, and store reads of forged tools kept
 * for the current revision (each a small object; the library may hold thousands).
 */
const DESCRIBED_CACHE = 2_000;

type Entry = ForgedEntry | BuiltinEntry;

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
  hosts: summary.hosts,
  uses: summary.uses,
});

class Registry implements LiveToolRegistry {
  private readonly builtins: Map<string, BuiltinEntry>;
  private readonly forged = new Map<string, ForgedEntry>();
  /** Versions that tools use, read once (they never change). */
  private readonly versions = versionCache();
  private loadedRevision = -1;
  /** Forged tools shadowed by a built-in (checked at each revision) and tools that failed to load. */
  private readonly shadowed = new Map<string, LoadProblem>();
  private readonly failed = new Map<string, LoadProblem>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly reads = new RevisionCache(DESCRIBED_CACHE);
  /** LangChain tools of forged tools by name, for binding (description and schema only; nothing loaded). */
  private readonly described = new Map<string, { version: number; langChain: StructuredToolInterface }>();
  /** Compiled argument checks of forged tools, by name and version. */
  private readonly checks = new Map<string, ArgsCheck>();
  private readonly maxResultBytes: number;
  private readonly diagnostics: Diagnostics;

  constructor(private readonly options: ToolRegistryOptions) {
    this.maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
    this.diagnostics = options.diagnostics ?? processDiagnostics;
    this.builtins = builtinEntries(options.builtins ?? [], options.findTools, (query, limit) => this.search(query, { limit }));
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
        this.diagnostics.warn("tools", `tool ${name} v${forged.activeVersion} is not bound: ${problem.error}`);
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
      const loaded = await loadForgedTool(this.options.mirror, version);
      this.forged.set(name, loaded);
      this.failed.delete(name);
      return loaded;
    } catch (error) {
      const problem = { name, version: version.version, error: errorMessage(error) };
      this.forged.delete(name);
      this.failed.set(name, problem);
      this.diagnostics.warn("tools", `tool ${name} v${version.version} is not bound: ${problem.error}`);
      return null;
    }
  }

  async list(): Promise<readonly RegisteredTool[]> {
    await this.refresh();
    return this.reads.list(this.loadedRevision, async () => {
      const forged = (await this.options.store.listTools()).filter((t) => !this.builtins.has(t.name)).map(forgedTool);
      return [...[...this.builtins.values()].map((e) => e.tool), ...forged].sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  async get(name: string): Promise<RegisteredTool | null> {
    await this.refresh();
    const builtin = this.builtins.get(name);
    if (builtin) return builtin.tool;
    return this.storedTool(name);
  }

  /** The store's active version of a forged tool, read once per registry revision (a bound or loaded tool is re-checked through here after it moves). */
  private storedTool(name: string): Promise<RegisteredTool | null> {
    return this.reads.tool(this.loadedRevision, name, async () => {
      const summary = await this.options.store.getTool(name);
      return summary ? forgedTool(summary) : null;
    });
  }

  async count(): Promise<number> {
    await this.refresh();
    const shadowed = this.shadowed.size;
    return this.reads.count(this.loadedRevision, async () => (await this.options.store.countTools()) + this.builtins.size - shadowed);
  }

  async consentRequest(name: string): Promise<ConsentRequest | null> {
    const tool = await this.get(name);
    return tool ? consentRequestFor(this.options.store, tool) : null;
  }

  async checkArgs(name: string, args: unknown): Promise<{ ok: true } | { ok: false; message: string }> {
    const tool = await this.get(name);
    if (!tool) return { ok: false, message: await this.unknownToolMessage(name) };
    return this.argsCheck(tool)(args);
  }

  /** A tool's compiled argument check (a built-in's from its entry; a forged version's compiled once). */
  private argsCheck(tool: RegisteredTool): ArgsCheck {
    const builtin = this.builtins.get(tool.name);
    if (builtin) return builtin.check;
    const key = `${tool.name}@${tool.version}`;
    let check = this.checks.get(key);
    if (!check) {
      check = compileArgsSchema(tool.name, tool.schema);
      if (this.checks.size >= DESCRIBED_CACHE) this.checks.delete(this.checks.keys().next().value!);
      this.checks.set(key, check);
    }
    return check;
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

  async call(name: string, args: unknown, options: ToolCallOptions = {}): Promise<ToolCallOutcome> {
    const started = performance.now();
    const { outcome, version } = await this.callUnpublished(name, args, started, options.signal);
    this.options.bus.publish({
      type: "tool.called",
      name,
      version,
      durationMs: outcome.durationMs,
      outcome: outcome.ok ? "ok" : "error",
      args: previewValue(args ?? {}),
      ...(outcome.ok ? { result: previewValue(outcome.result) } : { error: `${outcome.kind}: ${outcome.error}` }),
      ...(outcome.requests ? { requests: outcome.requests } : {}),
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
    const deps = {
      store: this.options.store,
      sandbox: this.options.sandbox,
      callTimeoutMs: this.options.callTimeoutMs,
      maxResultBytes: this.maxResultBytes,
      bus: this.options.bus,
      allowLoopback: this.options.allowLoopback === true,
      egressHooks: this.options.egressHooks,
      versions: this.versions,
    };
    return { outcome: await callForged(deps, entry, args, elapsed, signal), version };
  }

  private unknownToolMessage(name: string): Promise<string> {
    return unknownToolMessage(name, (query) => this.search(query, { limit: 5 }), this.builtins.has(FIND_TOOLS));
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
