/**
 * What consent costs a tool call, in the real gVisor sandbox through the registry (as BRICK calls a
 * tool), calls interleaved so that every kind meets the same machine state:
 *
 *   no hosts                    a tool that declares no host (the baseline)
 *   granted host, no request    the same tool declaring a granted host: the grants are read, the
 *                               channel is open, no request is made (goal: no measurable difference)
 *   one request via the host    the tool makes one granted GET through ctx.fetch: the request line,
 *                               the host's checks and request, the answer line
 *   the request, host directly  the same GET made by the host itself (performRequest), no sandbox
 *
 * Each call starts on a warm runner (a pause before it lets the pool boot one). The server is on
 * 127.0.0.1 (EGRESS_ALLOW_LOOPBACK). BENCH_CONSENT_RUNS (default 40) sets the calls per kind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import path from "node:path";
import { loadConfig } from "../src/config.js";
import { DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESPONSE_BYTES, performRequest } from "../src/egress/index.js";
import { createRuntime } from "../src/runtime.js";
import { answerGrants } from "../src/tools/grants.js";
import { percentile, summarise, type BenchRow } from "./stats.js";

export const title = "consent (a tool that reaches a granted host)";

const RUNS = Number(process.env["BENCH_CONSENT_RUNS"] ?? 40);
/** The pause before each measured call (see the loop). */
const SETTLE_MS = 600;
const GROUP = "consent";
const BODY = JSON.stringify({ base: "EUR", date: "2026-12-07", rates: { USD: 1.05, GBP: 0.83, JPY: 158.2, CHF: 0.94 } });

function moduleSource(name: string, hosts: string[], fetches: string | null): string {
  const body = fetches ? `return (await (await ctx.fetch(${JSON.stringify(fetches)})).json()).rates.USD;` : "return 1.05;";
  return `import assert from "node:assert/strict";
export const name = ${JSON.stringify(name)};
export const description = "The dollar rate (bench).";
export const schema = { type: "object", properties: {}, required: [] };
${hosts.length ? `export const hosts = ${JSON.stringify(hosts)};` : ""}
export default async function run(args: object, ctx: { fetch: typeof fetch }): Promise<number> { ${body} }
export async function test(): Promise<void> {
  const fake = { fetch: (async () => new Response(${JSON.stringify(BODY)})) as typeof fetch };
  assert.equal(await run({}, fake), 1.05);
}
`;
}

export async function run(): Promise<BenchRow[]> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `http://${host}/latest`;
  const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-bench-consent-"));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: path.join(dir, "data"),
    DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools"),
    EGRESS_ALLOW_LOOPBACK: "true",
  });
  const runtime = await createRuntime(config);
  try {
    const tools = [
      { name: "no_hosts", hosts: [], fetches: null },
      { name: "host_no_request", hosts: [host], fetches: null },
      { name: "one_request", hosts: [host], fetches: url },
    ];
    for (const tool of tools) {
      const added = await runtime.admission.addTool({ file: `${tool.name}.ts`, source: moduleSource(tool.name, tool.hosts, tool.fetches) });
      if (added.status !== "added") throw new Error(`the bench tool ${tool.name} was refused: ${added.reason}`);
      if (tool.hosts.length) await answerGrants({ store: runtime.store }, tool.name, { decision: "grant", privateNetwork: true });
    }
    const policy = () => ({
      grants: [{ host: `http://${host}`, privateNetwork: true }],
      deadline: Date.now() + 10_000,
      maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
      maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
      maxRedirects: DEFAULT_MAX_REDIRECTS,
      allowLoopback: true,
    });
    const kinds: { name: string; note: string; once: () => Promise<void> }[] = [
      ...tools.map((tool) => ({
        name: {
          no_hosts: "call, no hosts",
          host_no_request: "call, granted host, no request",
          one_request: "call, one request via the host",
        }[tool.name]!,
        note: tool.fetches ? `${BODY.length} B JSON, loopback` : "registry → sandbox → result",
        once: async () => {
          const outcome = await runtime.registry.call(tool.name, {});
          if (!outcome.ok || outcome.result !== 1.05) throw new Error(`${tool.name}: ${JSON.stringify(outcome)}`);
        },
      })),
      {
        name: "the request, host directly",
        note: "performRequest, no sandbox",
        once: async () => {
          const result = await performRequest({ url }, policy());
          if (!result.ok) throw new Error(result.refused);
        },
      },
    ];
    const samples = new Map(kinds.map((k) => [k.name, [] as number[]]));
    for (let i = 0; i < 3; i++) for (const kind of kinds) await kind.once();
    for (let i = 0; i < RUNS; i++) {
      // Each round in another order, and a pause before each call so that it finds a warm runner
      // (the pool boots the next runner of a container in ~0.25 s under gVisor): a call waiting for
      // a runner would measure the pool, not consent.
      const order = kinds.map((_, j) => kinds[(i + j) % kinds.length]!);
      for (const kind of order) {
        await delay(SETTLE_MS);
        const start = performance.now();
        await kind.once();
        samples.get(kind.name)!.push(performance.now() - start);
      }
    }
    const rows = kinds.map((kind) => summarise(GROUP, kind.name, samples.get(kind.name)!, kind.note));
    const p50 = (name: string) =>
      percentile(
        [...samples.get(name)!].sort((a, b) => a - b),
        50,
      );
    const overhead = p50("call, granted host, no request") - p50("call, no hosts");
    const viaHost = p50("call, one request via the host") - p50("call, granted host, no request");
    rows.push(
      summarise(GROUP, "a declared host, per call (p50 difference)", [overhead], "goal: not measurable"),
      summarise(
        GROUP,
        "one request via the host (p50 difference)",
        [viaHost],
        `host directly: ${p50("the request, host directly").toFixed(2)} ms`,
      ),
    );
    return rows;
  } finally {
    await runtime.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}
