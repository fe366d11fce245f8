/**
 * A tool that uses library tools, in the runner (sandbox/runner.mjs as a bare node process, as in
 * sandbox-runner.test.ts): `ctx.tools.<name>` calls the version the job names, in the same job,
 * dependencies of dependencies included; the test runs with them; arguments and results cross as
 * JSON copies; and a hostile dependent reaches nothing of a dependency but its answer.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
import { parseReport } from "../../src/sandbox/output.js";
import type { JobTools, RunnerReport } from "../../src/sandbox/types.js";

const RUNNER = path.join(PROJECT_ROOT, "sandbox", "runner.mjs");

function run(job: Record<string, unknown>): Promise<RunnerReport | null> {
  const token = randomBytes(16).toString("hex");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER], { stdio: ["pipe", "pipe", "pipe"], env: {} });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", () => resolve(parseReport(stdout, token).report));
    child.stdin.end(JSON.stringify({ token, contract: "tool", ...job }) + "\n");
  });
}

const tool = (name: string, body: string, extra = "") => `
export const name = ${JSON.stringify(name)};
export const description = "A tool.";
export const schema = { type: "object", properties: {}, required: [] };
${extra}
export default async function run(args, ctx) { ${body} }
export async function test(ctx) {}
`;

const FACTORIZE = tool(
  "factorize",
  `const out = []; let n = args.n; for (let p = 2; p * p <= n; p++) while (n % p === 0) { out.push(p); n /= p; } if (n > 1) out.push(n); return out;`,
);
const SUM = tool("sum_list", `return args.values.reduce((a, b) => a + b, 0);`);
/** Uses factorize and sum_list: the sum of the prime factors, through two tools. */
const SUM_PRIME_FACTORS = tool(
  "sum_prime_factors",
  `const factors = await ctx.tools.factorize({ n: args.n }); return ctx.tools.sum_list({ values: factors });`,
  'export const uses = ["factorize", "sum_list"];',
);

const library: JobTools = {
  uses: { factorize: "factorize@2", sum_list: "sum_list@1" },
  modules: [
    { key: "factorize@2", name: "factorize", module: FACTORIZE, uses: {} },
    { key: "sum_list@1", name: "sum_list", module: SUM, uses: {} },
  ],
};

describe("library tools inside the job", () => {
  it("calls the pinned versions through ctx.tools and reports the module's uses", async () => {
    const report = await run({ action: "call", module: SUM_PRIME_FACTORS, input: { n: 60 }, tools: library });
    expect(report).toMatchObject({ ok: true, result: 2 + 2 + 3 + 5, exports: { uses: ["factorize", "sum_list"] } });
  });

  it("reaches dependencies of dependencies, each with its own pins", async () => {
    const twice = tool(
      "twice_sum",
      `return 2 * (await ctx.tools.sum_prime_factors({ n: args.n }));`,
      'export const uses = ["sum_prime_factors"];',
    );
    const report = await run({
      action: "call",
      module: twice,
      input: { n: 12 },
      tools: {
        uses: { sum_prime_factors: "sum_prime_factors@1" },
        modules: [
          ...library.modules,
          { key: "sum_prime_factors@1", name: "sum_prime_factors", module: SUM_PRIME_FACTORS, uses: library.uses },
        ],
      },
    });
    expect(report).toMatchObject({ ok: true, result: 2 * (2 + 2 + 3) });
  });

  it("runs the module's test with its library tools present", async () => {
    const tested = SUM_PRIME_FACTORS.replace(
      "export async function test(ctx) {}",
      "export async function test(ctx) { if ((await run({ n: 10 }, ctx)) !== 7) throw new Error('expected 7'); }",
    );
    expect(await run({ action: "validate", module: tested, tools: library })).toMatchObject({ ok: true, testCompleted: true });
  });

  it("names the library tool that failed, with its message", async () => {
    const failing = tool("fails", `throw new RangeError("n must be positive");`);
    const report = await run({
      action: "call",
      module: SUM_PRIME_FACTORS,
      input: { n: 6 },
      tools: { ...library, modules: [{ key: "factorize@2", name: "factorize", module: failing, uses: {} }, library.modules[1]!] },
    });
    expect(report?.error?.message).toBe("factorize (a library tool this one uses) failed: n must be positive");
  });

  it("gives a module only the tools it names, none when the job has none", async () => {
    const report = await run({ action: "call", module: SUM_PRIME_FACTORS, input: { n: 6 } });
    expect(report?.ok).toBe(false);
    expect(report?.error?.message).toMatch(/factorize/);
  });
});

describe("a hostile dependent", () => {
  it("holds only frozen functions, and a copy of what a dependency returns", async () => {
    const keeper = tool("keeper", `return { kept: [1, 2, 3] };`);
    const hostile = tool(
      "hostile",
      `const tools = ctx.tools;
       const report = {};
       report.frozen = Object.isFrozen(tools) && Object.isFrozen(tools.keeper);
       try { tools.keeper = async () => ({ kept: ["forged"] }); report.replaced = true; } catch { report.replaced = false; }
       report.keys = Object.keys(tools.keeper);
       const first = await tools.keeper({});
       first.kept.push(666);
       const second = await tools.keeper({});
       report.second = second.kept;
       report.source = String(tools.keeper).includes("kept: [1, 2, 3]");
       return report;`,
      'export const uses = ["keeper"];',
    );
    const report = await run({
      action: "call",
      module: hostile,
      input: {},
      tools: { uses: { keeper: "keeper@1" }, modules: [{ key: "keeper@1", name: "keeper", module: keeper, uses: {} }] },
    });
    expect(report).toMatchObject({ ok: true, result: { frozen: true, replaced: false, keys: [], second: [1, 2, 3], source: false } });
  });
});
