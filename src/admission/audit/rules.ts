/**
 * The audit's rule ids: stable strings that tests, stored forge attempts and the retry prompt rely
 * on. Never rename one; add new ids instead. `kind` separates what the code may not do (security)
 * from what the forged-module contract requires (contract).
 */

export const SECURITY_RULES = {
  parse: "the compiled module could not be parsed",
  "import-forbidden":
    'an import (or re-export) of anything but the builtin assert module ("node:assert", "node:assert/strict", "assert", "assert/strict")',
  require: "require() or any use of `require`",
  "dynamic-import": "dynamic import()",
  "import-meta": "import.meta",
  eval: "eval, direct or indirect",
  "function-constructor": "the Function constructor (new Function, Function(...), Function`...`)",
  "constructor-access":
    'reaching a constructor (`.constructor`, computed keys that are or build "constructor", computed access on functions)',
  process: "the process object",
  "global-object": "globalThis / global / self / window used as a value, written to, or `this` at the top of the module",
  "global-computed": "computed (run-time) property access on a global, a builtin or an imported object",
  "computed-key": "a computed property key decoded or assembled at run time from pieces of a forbidden name",
  "reflect-proxy": "Reflect (other than ownKeys/has) and Proxy",
  proto: "__proto__, __defineGetter__/__lookupGetter__ and friends, Object.getPrototypeOf / setPrototypeOf",
  "builtin-prototype-mutation":
    "writing to a builtin, its prototype or any foreign .prototype (assignment, delete, Object.assign/defineProperty)",
  "imported-binding-mutation": "patching console or the imported assert, or passing them around as values",
  "stack-trace-api": "V8's stack trace API: prepareStackTrace, captureStackTrace, stackTraceLimit, CallSite getThis/getFunction",
  "caller-callee": "arguments.callee, function.caller",
  "symbol-tricks": "Symbol.unscopables, Symbol.species, Symbol.hasInstance",
  webassembly: "WebAssembly",
  "shared-memory": "SharedArrayBuffer and Atomics",
  network: "fetch, WebSocket, XMLHttpRequest, EventSource",
  buffer: "Buffer (Node-specific and process-adjacent: use Uint8Array, TextEncoder/TextDecoder, atob/btoa)",
  with: "the with statement",
  "module-internals": "module, exports, __dirname, __filename, require.cache, process.binding, mainModule, _load, getBuiltinModule, …",
  "undeclared-assignment": "assigning to a name that is never declared (a ReferenceError in a module; it would create a global)",
  "unsupported-syntax": "syntax that the compiler lowers into helper code (decorators, `using`, auto-accessors)",
} as const;

const CONTRACT_RULES = {
  "contract-name": "`export const name` must be a snake_case string literal (and the requested name, when one was asked for)",
  "contract-description": "`export const description` must be a non-empty string literal",
  "contract-schema": '`export const schema` must be a plain JSON object literal with type: "object"',
  "contract-default": "the default export must be a (possibly async) function",
  "contract-test": "`export function test()` must exist (tools) and be a function",
  "contract-uses": "`export const uses` (tools only) must be a literal array of distinct library tool names, not the tool's own",
  "contract-commonjs": "the module is CommonJS (module.exports, exports.x, require) instead of an ES module with `export`",
} as const;

export type SecurityRule = keyof typeof SECURITY_RULES;
export type ContractRule = keyof typeof CONTRACT_RULES;
export type AuditRule = SecurityRule | ContractRule;

export const AUDIT_RULES: Readonly<Record<AuditRule, { kind: "security" | "contract"; summary: string }>> = Object.freeze({
  ...(Object.fromEntries(Object.entries(SECURITY_RULES).map(([id, summary]) => [id, { kind: "security", summary }])) as Record<
    SecurityRule,
    { kind: "security"; summary: string }
  >),
  ...(Object.fromEntries(Object.entries(CONTRACT_RULES).map(([id, summary]) => [id, { kind: "contract", summary }])) as Record<
    ContractRule,
    { kind: "contract"; summary: string }
  >),
});

export function isSecurityRule(rule: string): rule is SecurityRule {
  return Object.hasOwn(SECURITY_RULES, rule);
}

export function isContractRule(rule: string): rule is ContractRule {
  return Object.hasOwn(CONTRACT_RULES, rule);
}
