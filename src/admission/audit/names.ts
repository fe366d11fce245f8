/**
 * What the audit knows by name: forbidden globals, property names that are refused on any object,
 * and the messages the model reads. Messages say what is refused, why, and what to do instead.
 */
import type { SecurityRule } from "./rules.js";

export interface NamedRule {
  rule: SecurityRule;
  message: string;
}

/**
 * Tables are Maps, never plain objects: a lookup by an arbitrary name from the module ("toString",
 * "__proto__") must not find Object.prototype's members.
 */
function table<T>(entries: Record<string, T>): ReadonlyMap<string, T> {
  return new Map(Object.entries(entries));
}

const ONLY_INPUT = "A forged module computes its result from the default export's argument; it may not reach the host.";

/** Globals refused wherever they appear as a value (special cases are handled by the checks). */
export const FORBIDDEN_GLOBALS: ReadonlyMap<string, NamedRule> = table<NamedRule>({
  require: {
    rule: "require",
    message:
      '`require` loads Node modules (fs, child_process, …); the only module a forged module may use is assert, imported with `import assert from "node:assert/strict"`.',
  },
  module: {
    rule: "module-internals",
    message: `\`module\` is Node's module object (and \`module.exports\` is CommonJS: export with \`export\`). ${ONLY_INPUT}`,
  },
  exports: {
    rule: "module-internals",
    message: `\`exports\` is CommonJS; export with \`export const …\` / \`export default\` instead. ${ONLY_INPUT}`,
  },
  __dirname: { rule: "module-internals", message: "`__dirname` is a file-system path of the host; forged modules have no files." },
  __filename: { rule: "module-internals", message: "`__filename` is a file-system path of the host; forged modules have no files." },
  process: { rule: "process", message: `\`process\` is the running process (environment, exit, bindings). ${ONLY_INPUT}` },
  eval: { rule: "eval", message: "`eval` runs a string as code; write the code itself instead." },
  Function: {
    rule: "function-constructor",
    message:
      "`Function` compiles strings into code that runs outside every check; write ordinary functions (x instanceof Function is allowed).",
  },
  Proxy: {
    rule: "reflect-proxy",
    message: "`Proxy` traps run code inside whoever touches the object; forged modules may not create proxies.",
  },
  WebAssembly: { rule: "webassembly", message: "`WebAssembly` runs native code the audit cannot read; write TypeScript." },
  SharedArrayBuffer: { rule: "shared-memory", message: "`SharedArrayBuffer` is shared memory; use ordinary arrays or typed arrays." },
  Atomics: { rule: "shared-memory", message: "`Atomics` (wait/notify on shared memory) can freeze the process; it is not allowed." },
  fetch: {
    rule: "network",
    message:
      '`fetch` is network access, and a forged module has no network of its own. A tool that calls a web API declares the host (`export const hosts = ["api.example.com"]`) and uses the fetch of the context its default export receives: `export default async function f(args, ctx) { const r = await ctx.fetch(url); … }`.',
  },
  WebSocket: { rule: "network", message: "`WebSocket` is network access; forged modules run without a network." },
  XMLHttpRequest: { rule: "network", message: "`XMLHttpRequest` is network access; forged modules run without a network." },
  EventSource: { rule: "network", message: "`EventSource` is network access; forged modules run without a network." },
  Buffer: {
    rule: "buffer",
    message:
      "`Buffer` is Node-specific (allocUnsafe exposes stale process memory, large buffers bypass the heap limit); use Uint8Array, TextEncoder/TextDecoder or atob/btoa.",
  },
});

/** The names of the global object itself. */
export const GLOBAL_OBJECTS = new Set(["globalThis", "global", "self", "window"]);

/** Reflect methods that only read and cannot reach anything new. */
export const ALLOWED_REFLECT = new Set(["ownKeys", "has"]);

/** Property names refused on any object (read, destructured, or as a computed key that folds to them). */
export const FORBIDDEN_PROPERTIES: ReadonlyMap<string, NamedRule> = table<NamedRule>({
  ["constructor"]: {
    rule: "constructor-access" as const,
    message:
      "`.constructor` leads to constructors and from there to Function, which compiles strings into code; test types with instanceof, typeof or Array.isArray instead.",
  },
  ["__proto__"]: {
    rule: "proto",
    message: "`__proto__` walks or rewrites prototype chains; use ordinary objects, classes and Object.create(null).",
  },
  __defineGetter__: { rule: "proto", message: "`__defineGetter__` installs hidden getters; define getters in a class or object literal." },
  __defineSetter__: { rule: "proto", message: "`__defineSetter__` installs hidden setters; define setters in a class or object literal." },
  __lookupGetter__: { rule: "proto", message: "`__lookupGetter__` extracts internal getters; it is not allowed." },
  __lookupSetter__: { rule: "proto", message: "`__lookupSetter__` extracts internal setters; it is not allowed." },
  prepareStackTrace: {
    rule: "stack-trace-api",
    message: "`prepareStackTrace` hands out V8 CallSite objects (with getThis/getFunction); read error.message or error.stack instead.",
  },
  captureStackTrace: { rule: "stack-trace-api", message: "`captureStackTrace` is V8's stack trace API; throw ordinary errors instead." },
  stackTraceLimit: { rule: "stack-trace-api", message: "`stackTraceLimit` changes V8's stack trace engine; leave it alone." },
  getThis: { rule: "stack-trace-api", message: "`getThis` is a V8 CallSite method that leaks other frames' `this`; it is not allowed." },
  getFunction: {
    rule: "stack-trace-api",
    message: "`getFunction` is a V8 CallSite method that leaks other frames' functions; it is not allowed.",
  },
  callee: {
    rule: "caller-callee",
    message: "`arguments.callee` is not allowed (and throws in strict code); name the function and call it.",
  },
  caller: { rule: "caller-callee", message: "`.caller` reaches the calling function; it is not allowed." },
  mainModule: { rule: "module-internals", message: "`mainModule` is Node's entry module (with its require); it is not allowed." },
  _load: { rule: "module-internals", message: "`_load` is Node's internal module loader; it is not allowed." },
  _resolveFilename: { rule: "module-internals", message: "`_resolveFilename` is Node's internal module resolver; it is not allowed." },
  _compile: { rule: "module-internals", message: "`_compile` compiles strings as Node modules; it is not allowed." },
  _extensions: { rule: "module-internals", message: "`_extensions` is Node's module loader table; it is not allowed." },
  _cache: { rule: "module-internals", message: "`_cache` is Node's module cache; it is not allowed." },
  _linkedBinding: { rule: "module-internals", message: "`_linkedBinding` reaches Node's native bindings; it is not allowed." },
  dlopen: { rule: "module-internals", message: "`dlopen` loads native code; it is not allowed." },
  getBuiltinModule: {
    rule: "module-internals",
    message: "`getBuiltinModule` loads Node modules (fs, child_process, …); it is not allowed.",
  },
  reallyExit: { rule: "module-internals", message: "`reallyExit` ends the process; a tool returns its result instead." },
  _rawDebug: { rule: "module-internals", message: "`_rawDebug` writes to the process's stderr behind console's back; it is not allowed." },
});

/** Properties refused only on a particular global (`process.binding`, `Symbol.species`, …). */
export const FORBIDDEN_GLOBAL_PROPERTIES: ReadonlyMap<string, ReadonlyMap<string, NamedRule>> = table({
  process: table<NamedRule>({
    binding: { rule: "module-internals", message: "`process.binding` reaches Node's native bindings; it is not allowed." },
  }),
  require: table<NamedRule>({
    cache: { rule: "module-internals", message: "`require.cache` is Node's module cache; it is not allowed." },
    main: { rule: "module-internals", message: "`require.main` is Node's entry module; it is not allowed." },
    resolve: { rule: "module-internals", message: "`require.resolve` reads the host's file system; it is not allowed." },
  }),
  Symbol: table<NamedRule>({
    unscopables: { rule: "symbol-tricks", message: "`Symbol.unscopables` changes how names resolve; it is not allowed." },
    species: { rule: "symbol-tricks", message: "`Symbol.species` redirects which constructor builtins use; it is not allowed." },
    hasInstance: { rule: "symbol-tricks", message: "`Symbol.hasInstance` rewrites instanceof; it is not allowed." },
  }),
  Object: table<NamedRule>({
    getPrototypeOf: {
      rule: "proto",
      message: "`Object.getPrototypeOf` walks prototype chains (towards Function); use instanceof instead.",
    },
    setPrototypeOf: {
      rule: "proto",
      message: "`Object.setPrototypeOf` rewrites prototype chains; build objects with classes or Object.create.",
    },
  }),
});

/** Object methods that write to their first argument: refused when that target is a builtin. */
export const WRITING_OBJECT_METHODS = new Set(["defineProperty", "defineProperties", "assign"]);

/** Forbidden names whose pieces, glued together at run time, make a suspicious computed key. */
export const KEY_PIECE_SOURCES = [
  "constructor",
  "__proto__",
  "prototype",
  "prepareStackTrace",
  "mainModule",
  "getBuiltinModule",
  "process",
  "require",
];

/** Calls that decode or assemble strings at run time (a computed key made with them is suspicious). */
export const DECODING_FUNCTIONS = new Set(["atob", "unescape", "decodeURIComponent", "decodeURI"]);
export const DECODING_METHODS = new Set(["fromCharCode", "fromCodePoint", "reverse", "toReversed"]);

/**
 * The builtin assert module, in every spelling a model writes: Node resolves the bare names to the
 * same builtin as the `node:` ones (the sandbox runner imports the module from a file, where a bare
 * "assert" is the builtin, never a package). Any import form is fine: default, `* as`, named.
 */
export const ALLOWED_IMPORTS: ReadonlySet<string> = new Set(["node:assert", "node:assert/strict", "assert", "assert/strict"]);
