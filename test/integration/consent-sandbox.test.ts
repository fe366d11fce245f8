/**
 * Tools that reach the world, end to end in the real gVisor sandbox: a module that declares a host
 * is admitted (validated in the sandbox, its `hosts` read there), is refused until a person grants
 * the host, reaches it through `ctx.fetch` once granted — every request made by the host, over the
 * runner's channel, and announced as an event — and stops at the next call once the grant is
 * revoked. Servers on 127.0.0.1 stand for the outside world (EGRESS_ALLOW_LOOPBACK=true, and the
 * person marks them as their own network); a name that re-resolves between check and connect goes
 * through the runtime's egress test hook. Each attack ends refused or cut with a reason, nothing
 * reaches a host it should not, no credential leaks, and the server goes on serving.
 */
import path from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { PublishedEvent } from "../../src/events.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { answerGrants, revokeGrants } from "../../src/tools/grants.js";
import type { ToolCallOutcome } from "../../src/tools/types.js";
import { describeSandbox } from "../support/sandbox.js";
import { json, startServer, TEST_TLS_CERT, type TestServer } from "./egress-servers.js";

const CREDENTIAL = "sekret-value-0123456789";
const CALL_TIMEOUT_MS = 8_000;

/** A tool that fetches the URL it is given (with the headers given) from the hosts it declares. */
function probeModule(name: string, hosts: string[]): string {
  return `import assert from "node:assert/strict";

export const name = ${JSON.stringify(name)};
export const description = "Fetches a URL from the hosts it declares and says what came back.";
export const schema = {
  type: "object",
  properties: {
    url: { type: "string", description: "The URL." },
    headers: { type: "object", description: "Extra request headers." },
  },
  required: ["url"],
};
export const hosts = ${JSON.stringify(hosts)};

export default async function probe(
  { url, headers }: { url: string; headers?: Record<string, string> },
  ctx: { fetch: typeof fetch },
): Promise<{ status: number; text: string; length: number }> {
  const response = await ctx.fetch(url, headers ? { headers } : {});
  const text = await response.text();
  return { status: response.status, text: text.slice(0, 500), length: text.length };
}

export async function test(): Promise<void> {
  const fake = { fetch: (async () => new Response("canned", { status: 201 })) as typeof fetch };
  assert.deepEqual(await probe({ url: "https://example.invalid/" }, fake), { status: 201, text: "canned", length: 6 });
}
`;
}

describeSandbox("tools that reach hosts a person granted, in the real sandbox", (sandbox) => {
  let runtime: Runtime;
  let dir: string;
  let api: TestServer;
  let other: TestServer;
  const events: PublishedEvent[] = [];
  let lookups = 0;

  beforeAll(async () => {
    api = await startServer((request, response) => {
      const url = request.url ?? "/";
      if (url === "/latest") return json({ base: "EUR", rates: { USD: 1.08 } })(request, response, "");
      if (url === "/echo") return json({ headers: request.headers })(request, response, "");
      if (url === "/to-metadata") {
        response.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
        return response.end();
      }
      if (url === "/to-other") {
        response.writeHead(302, { location: `${other.origin}/echo` });
        return response.end();
      }
      if (url === "/huge") {
        // A gigabyte, written as fast as the reader takes it: the host must stop at its limit.
        response.writeHead(200, { "content-type": "application/octet-stream" });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = () => {
          while (sent < 1024 ** 3 && !response.destroyed) {
            sent += chunk.length;
            if (!response.write(chunk)) return void response.once("drain", pump);
          }
          response.end();
        };
        return pump();
      }
      if (url === "/never") {
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("the start, and then nothing");
        return; // never ends
      }
      response.writeHead(404).end();
    });
    other = await startServer((request, response) => json({ headers: request.headers })(request, response, ""));
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-consent-"));
    const config = loadConfig({
      DATA_DIR: path.join(dir, "data"),
      DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools"),
      EGRESS_ALLOW_LOOPBACK: "true",
      SANDBOX_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
    });
    runtime = await createRuntime(config, {
      sandbox: sandbox(),
      egressHooks: {
        ca: TEST_TLS_CERT,
        // "rebind.test" answers a public address when checked, then 127.0.0.1 when connected to.
        lookup: async (hostname) => {
          if (hostname !== "rebind.test") throw Object.assign(new Error(`no such host ${hostname}`), { code: "ENOTFOUND" });
          lookups += 1;
          return lookups === 1 ? [{ address: "93.184.216.34", family: 4 }] : [{ address: "127.0.0.1", family: 4 }];
        },
      },
    });
    runtime.bus.subscribe((event) => events.push(event));
    for (const [name, hosts] of [
      ["probe", [api.host, other.host]],
      ["rebind_probe", ["rebind.test"]],
    ] as const) {
      const added = await runtime.admission.addTool({ file: `${name}.ts`, source: probeModule(name, [...hosts]) });
      expect(added, JSON.stringify(added)).toMatchObject({ status: "added", name });
    }
  }, 120_000);

  afterAll(async () => {
    await runtime?.close();
    await api?.close();
    await other?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const call = (name: string, args: Record<string, unknown>): Promise<ToolCallOutcome> => runtime.registry.call(name, args);
  const grant = (name: string, hosts: string[], extra: { credential?: { header: string; value: string } } = {}) =>
    answerGrants({ store: runtime.store, bus: runtime.bus }, name, { decision: "grant", hosts, privateNetwork: true, ...extra });
  const errorOf = (outcome: ToolCallOutcome) => (outcome.ok ? "" : outcome.error);

  it("keeps the declared hosts with the version, refuses the call until a person grants them, and nothing reaches the host", async () => {
    expect((await runtime.store.getTool("probe"))?.hosts).toEqual([api.host, other.host]);
    const outcome = await call("probe", { url: `${api.origin}/latest` });
    expect(outcome).toMatchObject({ ok: false, kind: "not_granted", consent: { tool: "probe", missing: [api.host, other.host] } });
    expect(errorOf(outcome)).toContain(`toolforge tools grant probe ${api.host} ${other.host}`);
    expect(api.seen).toHaveLength(0);
  });

  it("once granted, makes the request through the host and announces it as an event", async () => {
    await grant("probe", [api.host, other.host]);
    const outcome = await call("probe", { url: `${api.origin}/latest` });
    expect(outcome, errorOf(outcome)).toMatchObject({
      ok: true,
      result: { status: 200, text: JSON.stringify({ base: "EUR", rates: { USD: 1.08 } }) },
    });
    expect(api.seen.map((r) => r.url)).toEqual(["/latest"]);
    expect(outcome.requests).toEqual([
      { host: api.host, method: "GET", status: 200, bytes: expect.any(Number), durationMs: expect.any(Number), refused: null },
    ]);
    expect(events.filter((e) => e.type === "tool.request").at(-1)).toMatchObject({
      type: "tool.request",
      name: "probe",
      version: 1,
      host: api.host,
      method: "GET",
      status: 200,
      refused: null,
    });
  });

  it("stops at the next call once the grant is revoked, and asks again", async () => {
    await revokeGrants({ store: runtime.store, bus: runtime.bus }, "probe", [api.host]);
    const before = api.seen.length;
    const outcome = await call("probe", { url: `${api.origin}/latest` });
    expect(outcome).toMatchObject({ ok: false, kind: "not_granted", consent: { missing: [api.host] } });
    expect(api.seen).toHaveLength(before);
    await grant("probe", [api.host]);
  });

  it("refuses a host the tool did not declare, naming it, and nothing reaches it", async () => {
    const stranger = await startServer(json({ leaked: true }));
    try {
      const outcome = await call("probe", { url: `${stranger.origin}/collect?secret=1` });
      expect(outcome.ok).toBe(false);
      expect(errorOf(outcome)).toMatch(new RegExp(`ctx\\.fetch refused: .*${stranger.host.replace(/\./g, "\\.")}`));
      expect(stranger.seen).toHaveLength(0);
    } finally {
      await stranger.close();
    }
  });

  it("refuses a redirect from a granted host to the cloud metadata address", async () => {
    const outcome = await call("probe", { url: `${api.origin}/to-metadata` });
    expect(errorOf(outcome)).toMatch(/ctx\.fetch refused: .*169\.254\.169\.254/);
  });

  it("refuses a name that resolves to a public address when checked and to 127.0.0.1 when connected to", async () => {
    await answerGrants({ store: runtime.store, bus: runtime.bus }, "rebind_probe", { decision: "grant" });
    lookups = 0;
    const outcome = await call("rebind_probe", { url: "https://rebind.test/latest" });
    expect(lookups).toBeGreaterThanOrEqual(2);
    expect(errorOf(outcome)).toMatch(/ctx\.fetch refused: .*127\.0\.0\.1/);
  });

  it("cuts a 1 GB answer at the limit, refusing it with the limit, and closes the connection", async () => {
    const closedBefore = api.closedSockets();
    const started = performance.now();
    const outcome = await call("probe", { url: `${api.origin}/huge` });
    expect(errorOf(outcome)).toMatch(/ctx\.fetch refused: .*over the limit of 1048576 bytes/);
    expect(performance.now() - started).toBeLessThan(CALL_TIMEOUT_MS);
    await expect.poll(() => api.closedSockets(), { timeout: 5_000 }).toBeGreaterThan(closedBefore);
  });

  it("refuses a server that never finishes at the call's deadline, while the tool can still say so", async () => {
    const outcome = await call("probe", { url: `${api.origin}/never` });
    expect(outcome.ok).toBe(false);
    expect(outcome).not.toMatchObject({ kind: "timeout" });
    expect(errorOf(outcome)).toMatch(/ctx\.fetch refused: .*deadline/);
  });

  it("adds a grant's credential for its own host only; the tool can neither read it nor send it elsewhere", async () => {
    await revokeGrants({ store: runtime.store, bus: runtime.bus }, "probe", [api.host]);
    await grant("probe", [api.host], { credential: { header: "X-Api-Key", value: CREDENTIAL } });
    const echoed = await call("probe", { url: `${api.origin}/echo` });
    expect(echoed.ok, errorOf(echoed)).toBe(true);
    expect(api.seen.at(-1)?.headers["x-api-key"]).toBe(CREDENTIAL);
    // The granted server echoes it back: the host replaces it before the tool sees the answer.
    expect(JSON.stringify(echoed)).not.toContain(CREDENTIAL);
    expect(JSON.stringify(echoed)).toContain("[credential]");
    // A redirect to another granted host does not carry it.
    const bounced = await call("probe", { url: `${api.origin}/to-other` });
    expect(bounced.ok, errorOf(bounced)).toBe(true);
    expect(other.seen.at(-1)?.headers["x-api-key"]).toBeUndefined();
    // The tool may not set that header for that host itself.
    const forged = await call("probe", { url: `${api.origin}/echo`, headers: { "X-Api-Key": "mine" } });
    expect(errorOf(forged)).toMatch(/ctx\.fetch refused: .*x-api-key/i);
    // Nowhere a person or a model reads: events, the event log, tool messages.
    expect(JSON.stringify(events)).not.toContain(CREDENTIAL);
    expect(JSON.stringify(await runtime.store.listEvents())).not.toContain(CREDENTIAL);
  });

  it("refuses a module that calls fetch itself, at the audit, saying how to reach a host instead", async () => {
    const direct = probeModule("direct_fetch", [api.host]).replace("await ctx.fetch(url", "await fetch(url");
    const refused = await runtime.admission.addTool({ file: "direct_fetch.ts", source: direct });
    expect(refused).toMatchObject({ status: "refused", stage: "audit" });
    expect(refused.status === "refused" ? refused.reason : "").toContain("ctx.fetch");
    expect(await runtime.store.getTool("direct_fetch")).toBeNull();
  });

  it("is unharmed afterwards: the next granted call is answered as the first was", async () => {
    const outcome = await call("probe", { url: `${api.origin}/latest` });
    expect(outcome, errorOf(outcome)).toMatchObject({ ok: true, result: { status: 200 } });
  });
});
