/**
 * What building on library tools costs and saves, in the real gVisor sandbox through the registry:
 *
 *   size      the source of each composite against the same tool written standalone (characters
 *             of TypeScript, tests included): what the forge must write, and what can go wrong
 *   call      a call of the composite (its job imports the library tools it uses and calls them)
 *             against a call of the standalone tool; goal ≤ 1.2×
 *
 * Calls are interleaved, each on a warm runner (a pause before each lets the pool boot one).
 * BENCH_COMPOSE_RUNS (default 30) sets the calls per kind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { loadConfig } from "../src/config.js";
import { createRuntime } from "../src/runtime.js";
import { percentile, summarise, type BenchRow } from "./stats.js";

export const title = "composition (tools that use library tools)";

const RUNS = Number(process.env["BENCH_COMPOSE_RUNS"] ?? 30);
const SETTLE_MS = 600;
const GROUP = "compose";

const LIBRARY: Record<string, string> = {
  factorize: `import assert from "node:assert/strict";
export const name = "factorize";
export const description = "The prime factors of n, in ascending order, with repeats.";
export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
export default function factorize({ n }: { n: number }): number[] {
  const out: number[] = [];
  for (let p = 2; p * p <= n; p++) while (n % p === 0) { out.push(p); n /= p; }
  if (n > 1) out.push(n);
  return out;
}
export function test(): void {
  assert.deepEqual(factorize({ n: 60 }), [2, 2, 3, 5]);
  assert.deepEqual(factorize({ n: 13 }), [13]);
}
`,
  sum_list: `import assert from "node:assert/strict";
export const name = "sum_list";
export const description = "The sum of a list of numbers.";
export const schema = { type: "object", properties: { values: { type: "array", items: { type: "number" } } }, required: ["values"] };
export default function sum_list({ values }: { values: number[] }): number {
  return values.reduce((a, b) => a + b, 0);
}
export function test(): void {
  assert.equal(sum_list({ values: [1, 2, 3] }), 6);
  assert.equal(sum_list({ values: [] }), 0);
}
`,
  is_prime: `import assert from "node:assert/strict";
export const name = "is_prime";
export const description = "Whether a whole number is prime.";
export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
export default function is_prime({ n }: { n: number }): boolean {
  if (n < 2) return false;
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return false;
  return true;
}
export function test(): void {
  assert.equal(is_prime({ n: 13 }), true);
  assert.equal(is_prime({ n: 1 }), false);
  assert.equal(is_prime({ n: 91 }), false);
}
`,
  digit_sum: `import assert from "node:assert/strict";
export const name = "digit_sum";
export const description = "The sum of the decimal digits of a whole number.";
export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
export default function digit_sum({ n }: { n: number }): number {
  return String(Math.abs(n)).split("").reduce((a, d) => a + Number(d), 0);
}
export function test(): void {
  assert.equal(digit_sum({ n: 181 }), 10);
  assert.equal(digit_sum({ n: 0 }), 0);
}
`,
};

/** Each composite and the same tool written standalone. */
const PAIRS: { name: string; args: Record<string, unknown>; composite: string; standalone: string }[] = [
  {
    name: "sum_prime_factors",
    args: { n: 360 },
    composite: `import assert from "node:assert/strict";
export const name = "sum_prime_factors";
export const description = "The sum of the prime factors of n, with repeats.";
export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
export const uses = ["factorize", "sum_list"];
type Tools = { factorize(a: { n: number }): Promise<number[]>; sum_list(a: { values: number[] }): Promise<number> };
export default async function sum_prime_factors({ n }: { n: number }, ctx: { tools: Tools }): Promise<number> {
  return ctx.tools.sum_list({ values: await ctx.tools.factorize({ n }) });
}
export async function test(ctx: { tools: Tools }): Promise<void> {
  assert.equal(await sum_prime_factors({ n: 60 }, ctx), 12);
  assert.equal(await sum_prime_factors({ n: 13 }, ctx), 13);
}
`,
    standalone: `import assert from "node:assert/strict";
export const name = "sum_prime_factors";
export const description = "The sum of the prime factors of n, with repeats.";
export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
export default function sum_prime_factors({ n }: { n: number }): number {
  const factors: number[] = [];
  for (let p = 2; p * p <= n; p++) while (n % p === 0) { factors.push(p); n /= p; }
  if (n > 1) factors.push(n);
  return factors.reduce((a, b) => a + b, 0);
}
export function test(): void {
  assert.equal(sum_prime_factors({ n: 60 }), 12);
  assert.equal(sum_prime_factors({ n: 13 }), 13);
  assert.equal(sum_prime_factors({ n: 2 }), 2);
}
`,
  },
  {
    name: "largest_prime_digit_sum",
    args: { values: [0, 3, 2, 1, 3, 5, 7, 4, 5, 5, 5, 2, 181, 32, 4, 32, 3, 2, 32, 324, 4, 3] },
    composite: `import assert from "node:assert/strict";
export const name = "largest_prime_digit_sum";
export const description = "The sum of the digits of the largest prime in a list (0 when there is none).";
export const schema = { type: "object", properties: { values: { type: "array", items: { type: "integer" } } }, required: ["values"] };
export const uses = ["is_prime", "digit_sum"];
type Tools = { is_prime(a: { n: number }): Promise<boolean>; digit_sum(a: { n: number }): Promise<number> };
export default async function largest_prime_digit_sum({ values }: { values: number[] }, ctx: { tools: Tools }): Promise<number> {
  let largest = -1;
  for (const n of values) if (n > largest && (await ctx.tools.is_prime({ n }))) largest = n;
  return largest < 0 ? 0 : ctx.tools.digit_sum({ n: largest });
}
export async function test(ctx: { tools: Tools }): Promise<void> {
  assert.equal(await largest_prime_digit_sum({ values: [0, 3, 2, 181, 32] }, ctx), 10);
  assert.equal(await largest_prime_digit_sum({ values: [4, 6] }, ctx), 0);
}
`,
    standalone: `import assert from "node:assert/strict";
export const name = "largest_prime_digit_sum";
export const description = "The sum of the digits of the largest prime in a list (0 when there is none).";
export const schema = { type: "object", properties: { values: { type: "array", items: { type: "integer" } } }, required: ["values"] };
function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return false;
  return true;
}
export default function largest_prime_digit_sum({ values }: { values: number[] }): number {
  let largest = -1;
  for (const n of values) if (n > largest && isPrime(n)) largest = n;
  if (largest < 0) return 0;
  return String(largest).split("").reduce((a, d) => a + Number(d), 0);
}
export function test(): void {
  assert.equal(largest_prime_digit_sum({ values: [0, 3, 2, 181, 32] }), 10);
  assert.equal(largest_prime_digit_sum({ values: [4, 6] }), 0);
  assert.equal(isPrime(91), false);
}
`,
  },
];

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-bench-compose-"));
  const config = loadConfig({ ...process.env, DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools") });
  const runtime = await createRuntime(config);
  try {
    const add = async (file: string, source: string) => {
      const added = await runtime.admission.addTool({ file, source });
      if (added.status !== "added") throw new Error(`${file} was refused: ${added.reason}`);
    };
    for (const [name, source] of Object.entries(LIBRARY)) await add(`${name}.ts`, source);
    const kinds: { pair: (typeof PAIRS)[number]; kind: "composite" | "standalone"; tool: string }[] = [];
    for (const pair of PAIRS) {
      await add(`${pair.name}.ts`, pair.composite);
      const standalone = pair.standalone.replace(`"${pair.name}"`, `"${pair.name}_standalone"`);
      await add(`${pair.name}_standalone.ts`, standalone);
      kinds.push({ pair, kind: "composite", tool: pair.name }, { pair, kind: "standalone", tool: `${pair.name}_standalone` });
    }
    const once = async (k: (typeof kinds)[number]) => {
      const outcome = await runtime.registry.call(k.tool, k.pair.args);
      if (!outcome.ok) throw new Error(`${k.tool}: ${outcome.error}`);
      return outcome.result;
    };
    for (const pair of PAIRS) {
      const [a, b] = [
        await once(kinds.find((k) => k.tool === pair.name)!),
        await once(kinds.find((k) => k.tool === `${pair.name}_standalone`)!),
      ];
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new Error(`${pair.name}: the composite answered ${JSON.stringify(a)}, standalone ${JSON.stringify(b)}`);
    }
    const samples = new Map(kinds.map((k) => [k.tool, [] as number[]]));
    for (let i = 0; i < RUNS; i++) {
      for (let j = 0; j < kinds.length; j++) {
        const k = kinds[(i + j) % kinds.length]!;
        await delay(SETTLE_MS);
        const start = performance.now();
        await once(k);
        samples.get(k.tool)!.push(performance.now() - start);
      }
    }
    const rows: BenchRow[] = [];
    for (const pair of PAIRS) {
      const composite = samples.get(pair.name)!;
      const standalone = samples.get(`${pair.name}_standalone`)!;
      const p50 = (xs: number[]) =>
        percentile(
          [...xs].sort((a, b) => a - b),
          50,
        );
      const uses = (/export const uses = \[([^\]]*)\]/.exec(pair.composite)?.[1] ?? "").replace(/"/g, "");
      rows.push(
        summarise(GROUP, `${pair.name}: call, standalone`, standalone, `${pair.standalone.length} chars of source`),
        summarise(GROUP, `${pair.name}: call, composite (uses ${uses})`, composite, `${pair.composite.length} chars of source`),
        summarise(GROUP, `${pair.name}: composite ÷ standalone, p50`, [p50(composite) / p50(standalone)], "goal ≤ 1.2 (a ratio, not ms)"),
      );
    }
    return rows;
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
