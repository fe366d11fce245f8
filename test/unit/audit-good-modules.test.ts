import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { auditTypeScript } from "../fixtures/hostile/corpus.js";

const MODULES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/modules");
const goodModules = readdirSync(MODULES_DIR).filter((file) => file.startsWith("good-") && file.endsWith(".ts"));

const HEAD = `import assert from "node:assert/strict";
export const name = "ordinary";
export const description = "Ordinary code.";
export const schema = { type: "object", properties: {} };
export default function ordinary(input: Record<string, unknown>): unknown {
  return input;
}
export function test(): void {
  assert.ok(true);
}
`;

/** Ordinary constructs, each in a module of the contract: none may be refused. */
const ORDINARY: Array<[string, string]> = [
  [
    "regular expressions and string methods",
    'const m = "a-b_c".replace(/[-_]/g, " ").split(" ").map((s) => s.toUpperCase().padStart(2, "."));',
  ],
  [
    "Map, Set, WeakMap and JSON",
    "const m = new Map([[1, 'a']]); const s = new Set(m.keys()); new WeakMap().set({}, 1); JSON.parse(JSON.stringify([...s]));",
  ],
  ["Math and Date", "const t = Math.max(1, Math.floor(Math.random() * 10)) + new Date(0).getUTCFullYear();"],
  [
    "computed access on local data with run-time keys",
    "const counts: Record<string, number> = {}; for (const w of ['a', 'b', 'a']) counts[w] = (counts[w] ?? 0) + 1; const k = Object.keys(counts)[0]!; counts[k]++;",
  ],
  [
    "computed access on arrays with index arithmetic",
    "const a = [1, 2, 3]; let i = 0; i++; const last = a[a.length - 1]! + a[i]! + a[i * 2 % 3]!;",
  ],
  [
    "keys built by concatenating data",
    "const memo: Record<string, number> = {}; const key = (x: number, y: number) => x + ',' + y; memo[key(1, 2)] = 3; memo[`${1}:${2}`] = 4;",
  ],
  [
    "a method's self parameter and locals named like globals",
    "function method(self: Record<string, unknown>, key: string) { self[key] = 1; const process = (x: number) => x; const global = 1; return process(global); }",
  ],
  [
    "classes with fields, statics, getters, private members and inheritance",
    "class A { #x = 1; static n = 2; get x() { return this.#x; } m() { return this.x + A.n; } } class B extends A { constructor() { super(); } }",
  ],
  [
    "error subclasses and catch",
    "class E extends Error { constructor(m: string) { super(m); this.name = 'E'; } } try { throw new E('x'); } catch (e) { if (e instanceof E) e.message.trim(); }",
  ],
  [
    "spread, rest, destructuring and optional chaining",
    "const { a, ...rest } = { a: 1, b: 2 }; const [first, ...others] = [1, 2, 3]; const v = (rest as any)?.b?.c ?? first + others.length + a;",
  ],
  [
    "async functions, promises and timers",
    "async function wait() { await new Promise((r) => setTimeout(r, 1)); return Promise.all([1, 2].map(async (x) => x)); } void wait();",
  ],
  [
    "generators and iterators",
    "function* g() { yield 1; yield* [2, 3]; } const it = { *[Symbol.iterator]() { yield* g(); } }; const all = [...it];",
  ],
  [
    "labelled loops, switch and do-while",
    "outer: for (let i = 0; i < 3; i++) { for (let j = 0; j < 3; j++) { if (j === 1) continue outer; if (i === 2) break outer; } } let n = 0; do { switch (n) { case 0: n++; break; default: n = 5; } } while (n < 5);",
  ],
  [
    "Object helpers on the module's own objects",
    "const o = Object.assign({}, { a: 1 }); Object.defineProperty(o, 'b', { value: 2 }); Object.freeze(o); Object.entries(o); Object.fromEntries([['x', 1]]); Object.create(null);",
  ],
  [
    "reading builtin prototypes (not writing them)",
    "const slice = Array.prototype.slice; const own = Object.prototype.hasOwnProperty.call({ a: 1 }, 'a'); slice.call([1, 2], 1);",
  ],
  [
    "prototypes of the module's own constructor functions",
    "function Point(this: any, x: number) { this.x = x; } Point.prototype.norm = function () { return Math.abs(this.x); }; const P = class {}; (P as any).prototype.tag = 1;",
  ],
  [
    "typeof and instanceof checks, Reflect.ownKeys",
    "const f = (x: unknown) => typeof x === 'function' || x instanceof Function || Array.isArray(x); Reflect.ownKeys({}); Reflect.has({}, 'a'); typeof globalThis;",
  ],
  [
    "typed arrays, TextEncoder, atob/btoa, structuredClone, Intl",
    "const bytes = new TextEncoder().encode('é'); new Uint8Array(bytes); atob(btoa('x')); structuredClone({ a: [1] }); new Intl.NumberFormat('en').format(1);",
  ],
  ["console output for debugging", "console.log('debug', 1); console.error('warn'); const log = console.log; log('x');"],
  [
    "enums, namespaces and generics",
    "enum Color { Red, Green } namespace Util { export const twice = <T,>(x: T): T[] => [x, x]; } const c = Util.twice(Color.Green);",
  ],
  [
    "properties named like builtins' members",
    "const o = { toString: () => 'x', valueOf: () => 1, hasOwnProperty: 1, name: 'n' }; o.toString(); o.valueOf(); const m = new Map(); m.get('toString'); ({} as any).isPrototypeOf;",
  ],
  [
    "strings that mention forbidden words in prose",
    "const message = 'the constructor of a process is called eval in the prototype'; const s = `call ${message}`;",
  ],
  [
    "bigint, exponent and nullish assignment",
    "let total: bigint = 10n ** 3n; let maybe: number | undefined; maybe ??= 2 ** 8; total += BigInt(maybe);",
  ],
  [
    "feature detection with typeof",
    "const node = typeof process !== 'undefined' && typeof require === 'function' && typeof Buffer !== 'undefined' && typeof window === 'undefined';",
  ],
  ["for-in over local objects", "const o: Record<string, number> = { a: 1 }; let sum = 0; for (const k in o) sum += o[k]!;"],
];

describe("the audit on ordinary code", () => {
  it.each(goodModules)("finds nothing in the good fixture module %s", async (file) => {
    const source = readFileSync(path.join(MODULES_DIR, file), "utf8");
    const outcome = await auditTypeScript(source, { contract: file.includes("method") ? "method" : "tool" });
    expect(outcome).toEqual({ stage: "audit", findings: [] });
  });

  it("has good fixture modules to check (tools and a method)", () => {
    expect(goodModules.length).toBeGreaterThanOrEqual(4);
    expect(goodModules.some((file) => file.includes("method"))).toBe(true);
  });

  it.each(ORDINARY)("finds nothing in %s", async (_what, code) => {
    const outcome = await auditTypeScript(`${HEAD}${code}\n`);
    expect(outcome).toEqual({ stage: "audit", findings: [] });
  });
});
