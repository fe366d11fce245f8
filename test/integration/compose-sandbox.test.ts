/**
 * Tools that use library tools, end to end in the real gVisor sandbox (admission, SQLite, the live
 * registry): a composite is admitted with its test run against the tools it uses, installed with
 * both pins, and called through the sandbox; it keeps its pins when a dependency moves on (a new
 * version, a rollback) until `update` finds its test passing against the new one; a cycle, a tool
 * the library lacks and a missing pinned version are refused with the reason; grants follow code;
 * and it all survives a restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { answerGrants } from "../../src/tools/grants.js";
import { describeSandbox } from "../support/sandbox.js";
import { json, startServer, type TestServer } from "./egress-servers.js";

function tool(name: string, body: string, options: { uses?: string[]; hosts?: string[]; test?: string; args?: string } = {}): string {
  return `import assert from "node:assert/strict";
export const name = ${JSON.stringify(name)};
export const description = "A tool of the composition test (${name}).";
export const schema = { type: "object", properties: { ${options.args ?? 'n: { type: "integer" }'} }, required: [] };
${options.uses ? `export const uses = ${JSON.stringify(options.uses)};` : ""}
${options.hosts ? `export const hosts = ${JSON.stringify(options.hosts)};` : ""}
export default async function run(args: any, ctx: any): Promise<any> { ${body} }
export async function test(ctx: any): Promise<void> { ${options.test ?? ""} }
`;
}

const FACTORIZE_V1 = tool(
  "factorize",
  `const out: number[] = []; let n = args.n; for (let p = 2; p * p <= n; p++) while (n % p === 0) { out.push(p); n /= p; } if (n > 1) out.push(n); return out;`,
  { test: "assert.deepEqual(await run({ n: 12 }, ctx), [2, 2, 3]);" },
);
/** A version that answers wrongly (its own test passes: it only checks it is an array). */
const FACTORIZE_WRONG = tool("factorize", `return [args.n];`, { test: "assert.ok(Array.isArray(await run({ n: 7 }, ctx)));" });
/** Right again, written another way. */
const FACTORIZE_V3 = tool(
  "factorize",
  `const out: number[] = []; let n = args.n; let p = 2; while (n > 1) { if (n % p === 0) { out.push(p); n = n / p; } else p += 1; } return out;`,
  { test: "assert.deepEqual(await run({ n: 18 }, ctx), [2, 3, 3]);" },
);
const SUM_LIST = tool("sum_list", `return args.values.reduce((a: number, b: number) => a + b, 0);`, {
  args: 'values: { type: "array" }',
  test: "assert.equal(await run({ values: [1, 2] }, ctx), 3);",
});
const SUM_PRIME_FACTORS = tool("sum_prime_factors", `return ctx.tools.sum_list({ values: await ctx.tools.factorize({ n: args.n }) });`, {
  uses: ["factorize", "sum_list"],
  test: "assert.equal(await run({ n: 60 }, ctx), 12);",
});

describeSandbox("tools that use library tools, in the real sandbox", (sandbox) => {
  let dir: string;
  let config: Config;
  let runtime: Runtime;
  let rates: TestServer;

  const open = (box: Sandbox) => createRuntime(config, { sandbox: box });
  const add = async (source: string) => runtime.admission.addTool({ file: "module.ts", source });
  const call = (name: string, args: Record<string, unknown>) => runtime.registry.call(name, args);

  beforeAll(async () => {
    rates = await startServer(json({ rates: { USD: 1.25 } }));
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-compose-"));
    config = loadConfig({
      DATA_DIR: path.join(dir, "data"),
      DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools"),
      EGRESS_ALLOW_LOOPBACK: "true",
    });
    runtime = await open(sandbox());
    for (const source of [FACTORIZE_V1, SUM_LIST]) expect(await add(source)).toMatchObject({ status: "added" });
  }, 120_000);

  afterAll(async () => {
    await runtime?.close();
    await rates?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("admits a composite whose test runs against the tools it uses, pins both, and calls them in its job", async () => {
    expect(await add(SUM_PRIME_FACTORS)).toMatchObject({ status: "added", name: "sum_prime_factors", version: 1 });
    expect((await runtime.store.getToolVersion("sum_prime_factors", 1))?.uses).toEqual([
      { name: "factorize", version: 1 },
      { name: "sum_list", version: 1 },
    ]);
    expect(await call("sum_prime_factors", { n: 60 })).toMatchObject({ ok: true, result: 12 });
    expect(await runtime.store.listDependents("factorize")).toEqual([{ name: "sum_prime_factors", version: 1, pinned: 1 }]);
  });

  it("keeps a dependent on its pin when the dependency gets a new version, and update refuses a version its test fails against", async () => {
    expect(await add(FACTORIZE_WRONG)).toMatchObject({ status: "added", version: 2 });
    expect(await call("factorize", { n: 60 })).toMatchObject({ ok: true, result: [60] });
    expect(await call("sum_prime_factors", { n: 60 })).toMatchObject({ ok: true, result: 12 });
    const refused = await runtime.admission.updateTool("sum_prime_factors");
    expect(refused).toMatchObject({ status: "refused", version: 1, moved: [{ name: "factorize", from: 1, to: 2 }] });
    expect(refused.status === "refused" ? refused.reason : "").toMatch(/sandbox: test\(\) failed: AssertionError/);
    expect((await runtime.store.getTool("sum_prime_factors"))?.activeVersion).toBe(1);
  });

  it("moves the pins with update once the dependent's test passes against the new version", async () => {
    expect(await add(FACTORIZE_V3)).toMatchObject({ status: "added", version: 3 });
    expect(await runtime.admission.updateTool("sum_prime_factors")).toMatchObject({
      status: "updated",
      from: 1,
      version: 2,
      moved: [{ name: "factorize", from: 1, to: 3 }],
    });
    expect((await runtime.store.getToolVersion("sum_prime_factors", 2))?.uses).toContainEqual({ name: "factorize", version: 3 });
    expect(await call("sum_prime_factors", { n: 90 })).toMatchObject({ ok: true, result: 2 + 3 + 3 + 5 });
    expect(await runtime.admission.updateTool("sum_prime_factors")).toMatchObject({ status: "current", version: 2 });
    // A rollback of the dependency leaves the dependent on its pin, working.
    await runtime.store.rollbackTool("factorize", 2);
    expect(await call("sum_prime_factors", { n: 90 })).toMatchObject({ ok: true, result: 13 });
  });

  it("refuses a cycle, and a tool the library does not hold, with the reason", async () => {
    expect(await add(tool("a_tool", "return 1;"))).toMatchObject({ status: "added" });
    expect(await add(tool("b_tool", "return ctx.tools.a_tool({});", { uses: ["a_tool"] }))).toMatchObject({ status: "added" });
    const cycle = await add(tool("a_tool", "return ctx.tools.b_tool({});", { uses: ["b_tool"] }));
    expect(cycle).toMatchObject({ status: "refused", stage: "audit" });
    expect(cycle.status === "refused" ? cycle.reason : "").toContain(
      "b_tool uses a_tool: a tool cannot use itself, not even through the tools it uses",
    );
    const unknown = await add(tool("c_tool", "return ctx.tools.no_such_tool({});", { uses: ["no_such_tool"] }));
    expect(unknown.status === "refused" ? unknown.reason : "").toContain(
      'the module uses "no_such_tool", but the library has no tool of that name',
    );
  });

  it("makes a dependent reach the hosts its dependency declares, granted for the dependent", async () => {
    const source = tool("usd_rate", `const r = await ctx.fetch("http://${"${HOST}"}/latest"); return (await r.json()).rates.USD;`, {
      hosts: [rates.host],
    }).replace("${HOST}", rates.host);
    expect(await add(source)).toMatchObject({ status: "added" });
    expect(await add(tool("usd_doubled", "return 2 * (await ctx.tools.usd_rate({}));", { uses: ["usd_rate"] }))).toMatchObject({
      status: "added",
    });
    expect((await runtime.store.getTool("usd_doubled"))?.hosts).toEqual([rates.host]);
    expect(await call("usd_doubled", {})).toMatchObject({
      ok: false,
      kind: "not_granted",
      consent: { tool: "usd_doubled", missing: [rates.host] },
    });
    await answerGrants({ store: runtime.store }, "usd_doubled", { decision: "grant", privateNetwork: true });
    expect(await call("usd_doubled", {})).toMatchObject({ ok: true, result: 2.5, requests: [{ host: rates.host, status: 200 }] });
  });

  it("refuses to call a tool whose pinned version is missing, never calling another version", async () => {
    expect(await add(tool("leaf", "return 'leaf v1';"))).toMatchObject({ status: "added" });
    expect(await add(tool("leaf", "return 'leaf v2';"))).toMatchObject({ status: "added" });
    await runtime.store.rollbackTool("leaf", 1);
    expect(await add(tool("uses_leaf", "return ctx.tools.leaf({});", { uses: ["leaf"] }))).toMatchObject({ status: "added" });
    await runtime.store.rollbackTool("leaf", 2);
    // Take v1 out of the library behind the store's back (as a damaged restore would).
    const db = new Database(runtime.store.location);
    db.pragma("foreign_keys = OFF");
    db.prepare("DELETE FROM tool_versions WHERE tool_name = 'leaf' AND version = 1").run();
    db.close();
    const outcome = await call("uses_leaf", {});
    expect(outcome).toMatchObject({ ok: false, kind: "missing_dependency" });
    expect(outcome.ok ? "" : outcome.error).toContain("uses_leaf is pinned to leaf v1, which the library no longer holds");
  });

  it("survives a restart: a new runtime on the same data calls the composite on its pins", async () => {
    await runtime.close();
    runtime = await open(sandbox());
    expect(await call("sum_prime_factors", { n: 60 })).toMatchObject({ ok: true, result: 12 });
  });
});
