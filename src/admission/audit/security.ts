/**
 * The security rules: one pass over every node of the compiled module (ProgramInfo.nodes), with
 * scope resolution (a local called `process` or a method's `self` parameter is not the global) and
 * constant folding (a computed key that is certain is judged like a literal one).
 *
 * The rules come in families, each a small module with the rule ids it reports (./rules.ts) and its
 * node listeners, the way ESLint rules are written; all of them ask the same two questions through
 * ./security/context.ts (what is the root of this identifier or member chain; which links lead
 * there):
 *
 *   imports          import-forbidden, dynamic-import, import-meta
 *   globals          process, require, eval, Function, network, Buffer, WebAssembly, shared
 *                    memory, module internals, the global object, Reflect, console/imports as values
 *   reflection       .constructor, __proto__, stack trace API, caller/callee, loader internals,
 *                    Symbol tricks, Object.getPrototypeOf, Object.assign/defineProperty on shared things
 *   computed-access  run-time keys on globals, builtins, imports and functions; assembled keys
 *   writes           assignments to builtins, prototypes, the global object, imports, undeclared names
 *   strings          forbidden property names as string values
 *   syntax           with
 *
 * What each refuses is listed in ./rules.ts and explained per name in ./names.ts. It is the second
 * wall: the container is the first, so the aim is to catch every known route to the host's
 * capabilities that plain code can write, with few false positives on ordinary code.
 */
import type { Node, ProgramInfo } from "./program.js";
import { computedAccess } from "./security/computed-access.js";
import { SecurityContext, type RawFinding, type RuleFamily } from "./security/context.js";
import { globals } from "./security/globals.js";
import { imports } from "./security/imports.js";
import { reflection } from "./security/reflection.js";
import { strings } from "./security/strings.js";
import { syntax } from "./security/syntax.js";
import { writes } from "./security/writes.js";

export type { RawFinding } from "./security/context.js";

/** Every family, in the order their findings are collected. */
export const RULE_FAMILIES: readonly RuleFamily[] = [imports, syntax, globals, reflection, computedAccess, writes, strings];

/** Runs every security rule; `skip` holds compiler-generated nodes that are judged elsewhere. */
export function securityFindings(program: ProgramInfo, skip: ReadonlySet<Node>): RawFinding[] {
  const context = new SecurityContext(program);
  const listeners = new Map<string, Array<{ family: RuleFamily; listen: (node: Node) => void }>>();
  for (const family of RULE_FAMILIES) {
    for (const [type, listen] of Object.entries(family.create(context))) {
      const list = listeners.get(type) ?? [];
      list.push({ family, listen: listen as (node: Node) => void });
      listeners.set(type, list);
    }
  }
  for (const node of program.nodes) {
    if (skip.has(node)) continue;
    for (const { family, listen } of listeners.get(node.type) ?? []) {
      context.family = family;
      listen(node);
    }
  }
  context.family = null;
  return context.findings;
}
