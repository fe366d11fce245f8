/**
 * The library tools a tool uses, as one sandboxed job needs them: every tool version the call can
 * reach (the tool's pins, their pins, …), each with its compiled module (checked against the sha256
 * the store recorded) and which version each of its own `uses` names resolves to.
 *
 *   closureOfUses(store, "sum_prime_factors", ["factorize"])   // a module being admitted: the ACTIVE versions
 *   closureOfPins(store, "sum_prime_factors", version.uses)    // an installed version: exactly its pins
 *
 * Versions never change and a version can pin only versions installed before it, so the versions
 * form no cycle; what is refused is a tool that reaches its own name (it uses a tool that uses it),
 * more than MAX_DEPENDENCIES versions in one job, a tool the library does not hold, and a pinned
 * version that is missing — never replaced by whatever is current.
 */
import { MAX_DECLARED_HOSTS, MAX_DEPENDENCIES } from "../contract.js";
import { sha256Hex } from "../store/artifact.js";
import type { Store, ToolPin, ToolVersion } from "../store/types.js";
import type { JobTools } from "../sandbox/types.js";

export interface ToolClosure {
  /** The versions the tool uses directly. */
  pins: ToolPin[];
  /** What the sandbox job needs to run the tool with them. */
  tools: JobTools;
  /** The hosts the tool reaches through them (each version's stored hosts already hold its own dependencies'). */
  hosts: string[];
}

export type ClosureResult =
  | { ok: true; closure: ToolClosure }
  | { ok: false; kind: "unknown_tool" | "missing_version" | "cycle" | "too_many" | "damaged"; problem: string };

/** Versions by "name@version": they never change, so a process may keep them. */
export type VersionCache = Map<string, ToolVersion>;

/** The versions most recently read, at most `limit` of them (the oldest read goes first). */
export function versionCache(limit = 256): VersionCache {
  return new (class extends Map<string, ToolVersion> {
    override set(key: string, value: ToolVersion): this {
      this.delete(key);
      super.set(key, value);
      if (this.size > limit) this.delete(this.keys().next().value as string);
      return this;
    }
  })();
}

const keyOf = (pin: ToolPin) => `${pin.name}@${pin.version}`;

/** The closure of a module about to be admitted: each name it uses at its tool's active version. */
export async function closureOfUses(store: Store, self: string, uses: readonly string[], cache?: VersionCache): Promise<ClosureResult> {
  const pins: ToolPin[] = [];
  for (const name of uses) {
    const tool = await store.getTool(name);
    if (!tool) {
      return {
        ok: false,
        kind: "unknown_tool",
        problem: `the module uses "${name}", but the library has no tool of that name: use only tools that exist (find_tools searches them), or write the code itself`,
      };
    }
    pins.push({ name, version: tool.activeVersion });
  }
  return closureOfPins(store, self, pins, cache);
}

/** The closure of exactly these pins (an installed version's). */
export async function closureOfPins(
  store: Store,
  self: string,
  pins: readonly ToolPin[],
  cache: VersionCache = new Map(),
): Promise<ClosureResult> {
  const modules: JobTools["modules"] = [];
  const seen = new Set<string>();
  const hosts = new Set<string>();
  const queue: { pin: ToolPin; by: string }[] = pins.map((pin) => ({ pin, by: self }));
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { pin, by } = next;
    if (pin.name === self) {
      return {
        ok: false,
        kind: "cycle",
        problem: `${by} uses ${self}: a tool cannot use itself, not even through the tools it uses`,
      };
    }
    const key = keyOf(pin);
    if (seen.has(key)) continue;
    seen.add(key);
    if (seen.size > MAX_DEPENDENCIES) {
      return {
        ok: false,
        kind: "too_many",
        problem: `${self} would bring more than ${MAX_DEPENDENCIES} tool versions into one call: use fewer tools`,
      };
    }
    const version = cache.get(key) ?? (await store.getToolVersion(pin.name, pin.version));
    if (!version) {
      return {
        ok: false,
        kind: "missing_version",
        problem: `${by} is pinned to ${pin.name} v${pin.version}, which the library no longer holds; it is never replaced by another version: run \`toolforge tools update ${self}\` to check ${self} against the current ${pin.name}`,
      };
    }
    if (sha256Hex(version.compiled) !== version.sha256) {
      return { ok: false, kind: "damaged", problem: `${pin.name} v${pin.version}'s code does not match the sha256 the store recorded` };
    }
    cache.set(key, version);
    if (by === self) for (const host of version.hosts) hosts.add(host);
    modules.push({ key, name: pin.name, module: version.compiled, uses: Object.fromEntries(version.uses.map((p) => [p.name, keyOf(p)])) });
    for (const used of version.uses) queue.push({ pin: used, by: pin.name });
  }
  if (hosts.size > MAX_DECLARED_HOSTS) {
    return {
      ok: false,
      kind: "too_many",
      problem: `${self} would reach ${hosts.size} hosts through the tools it uses; at most ${MAX_DECLARED_HOSTS}`,
    };
  }
  return {
    ok: true,
    closure: {
      pins: [...pins],
      tools: { uses: Object.fromEntries(pins.map((pin) => [pin.name, keyOf(pin)])), modules },
      hosts: [...hosts],
    },
  };
}
