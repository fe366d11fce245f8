/**
 * The sandbox's bound and its queue, with real gVisor containers: however many jobs come, no more
 * than SANDBOX_MAX_CONTAINERS containers exist; a job that finds the queue full, or waits past its
 * deadline, is refused with a retry time; an aborted job ends at once (running) or leaves the line
 * (waiting). Then through the faces: POST /tools and MCP calls share the one bound (issue 22: 40
 * concurrent POST /tools ran 38 containers), a full queue is a 503 with Retry-After over real HTTP
 * and an isError result saying to retry over MCP, and a cancelled MCP call stops its tool.
 */
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SandboxBusyError } from "../../src/errors.js";
import { OWNER_LABEL } from "../../src/sandbox/labels.js";
import { SandboxPool } from "../../src/sandbox/pool.js";
import { jobSucceeded, type JobResult, type SandboxJob } from "../../src/sandbox/types.js";
import { currentProcess, formatIdentity } from "../../src/util/process-identity.js";
import { createTestSandbox, describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { untilPresent } from "../support/until.js";
import { recordingClient, textOf, type RecordingClient } from "./mcp-harness.js";
import { startTestServer, type TestServer } from "./test-server.js";

const docker = new Docker();
const ownLabel = `${OWNER_LABEL}=${formatIdentity(currentProcess())}`;

const SPIN = `export default function spin() { for (;;) {} }`;
const NAP = `export default async function nap(self, ms) { await new Promise((resolve) => setTimeout(resolve, ms)); return ms; }`;

function call(module: string, extra: Partial<SandboxJob> = {}): SandboxJob {
  return { action: "call", contract: "method", module, input: { args: [] }, ...extra };
}

/** Counts this process's sandbox containers every 50 ms while `work` runs; returns the most seen at once. */
async function mostContainersDuring(work: () => Promise<unknown>): Promise<number> {
  let most = 0;
  let done = false;
  const watching = (async () => {
    while (!done) {
      const listed = await docker.listContainers({ all: true, filters: { label: [ownLabel] } });
      most = Math.max(most, listed.length);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await watching;
  }
  return most;
}

function pool(sandbox: () => unknown): SandboxPool {
  const instance = sandbox();
  if (!(instance instanceof SandboxPool)) throw new Error("createSandbox returns the pool");
  return instance;
}

describeSandbox(
  "the sandbox's bound on containers",
  (sandbox) => {
    it("never runs more containers than SANDBOX_MAX_CONTAINERS, however many jobs come at once", async () => {
      let results: JobResult[] = [];
      const most = await mostContainersDuring(async () => {
        results = await Promise.all(Array.from({ length: 12 }, () => pool(sandbox).run(call(NAP, { input: { args: [200] } }))));
      });
      expect(results.map((r) => r.report?.result)).toEqual(Array(12).fill(200));
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(2);
      expect(pool(sandbox).stats().peakContainers).toBeLessThanOrEqual(2);
    });
  },
  { sandbox: { poolSize: 0, maxContainers: 2, queueLimit: 50 } },
);

describeSandbox(
  "a full sandbox",
  (sandbox) => {
    it("refuses a job with SandboxBusyError and a retry time when the queue is full, and runs it once there is room", async () => {
      await pool(sandbox).settled();
      const stop = new AbortController();
      const spinning = pool(sandbox).run(call(SPIN, { timeoutMs: 60_000, signal: stop.signal }));
      await untilPresent("the spinning job's container", () => pool(sandbox).stats().busy === 1 && pool(sandbox).stats().queued === 0);
      const waiting = pool(sandbox).run(call(NAP, { input: { args: [1] } }));
      await untilPresent("the second job in the queue", () => pool(sandbox).stats().queued === 1);
      const refused = await pool(sandbox)
        .run(call(NAP, { input: { args: [1] } }))
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SandboxBusyError);
      expect((refused as SandboxBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect((refused as SandboxBusyError).message).toMatch(/SANDBOX_QUEUE_LIMIT/);

      stop.abort();
      expect((await spinning).aborted).toBe(true);
      expect((await waiting).report?.result).toBe(1);
    });

    it("refuses a job that waited past SANDBOX_QUEUE_TIMEOUT_MS", async () => {
      await pool(sandbox).settled();
      const stop = new AbortController();
      const spinning = pool(sandbox).run(call(SPIN, { timeoutMs: 60_000, signal: stop.signal }));
      await untilPresent("the spinning job's container", () => pool(sandbox).stats().busy === 1 && pool(sandbox).stats().queued === 0);
      const started = performance.now();
      await expect(pool(sandbox).run(call(NAP, { input: { args: [1] } }))).rejects.toThrow(/SANDBOX_QUEUE_TIMEOUT_MS/);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1_500);
      stop.abort();
      await spinning;
    });
  },
  { sandbox: { poolSize: 1, maxContainers: 1, queueLimit: 1, queueTimeoutMs: 1_500 } },
);

describeSandbox(
  "aborting a job",
  (sandbox) => {
    it("ends a spinning job at once when its signal aborts, with aborted: true, and the next job runs", async () => {
      const stop = new AbortController();
      const started = performance.now();
      setTimeout(() => stop.abort(), 1_000);
      const result = await pool(sandbox).run(call(SPIN, { timeoutMs: 60_000, signal: stop.signal }));
      expect(result.aborted).toBe(true);
      expect(result.timedOut).toBe(false);
      expect(jobSucceeded(result)).toBe(false);
      expect(result.reportProblem).toMatch(/aborted by its caller/);
      expect(performance.now() - started).toBeLessThan(15_000);
      const next = await pool(sandbox).run(call(NAP, { input: { args: [5] } }));
      expect(next.report?.result).toBe(5);
    });

    it("takes a waiting job out of the queue when its signal aborts: nothing of it runs", async () => {
      const stopSpin = new AbortController();
      const spinning = pool(sandbox).run(call(SPIN, { timeoutMs: 60_000, signal: stopSpin.signal }));
      await untilPresent("the spinning job's container", () => pool(sandbox).stats().busy === 1);
      const stopWaiting = new AbortController();
      const waiting = pool(sandbox).run(call(NAP, { input: { args: [1] }, signal: stopWaiting.signal }));
      await untilPresent("the second job in the queue", () => pool(sandbox).stats().queued === 1);
      stopWaiting.abort();
      const result = await waiting;
      expect(result).toMatchObject({ aborted: true, durationMs: 0, report: null });
      expect(result.reportProblem).toMatch(/nothing of it ran/);
      expect(pool(sandbox).stats().queued).toBe(0);
      stopSpin.abort();
      await spinning;
    });

    it("does not start a job whose signal was aborted before it was handed over", async () => {
      const result = await pool(sandbox).run(call(NAP, { input: { args: [1] }, signal: AbortSignal.abort() }));
      expect(result.aborted).toBe(true);
      expect(result.report).toBeNull();
    });
  },
  { sandbox: { poolSize: 1, maxContainers: 1 } },
);

const toolModule = (name: string, body = "return text.length;") => `import assert from "node:assert/strict";
export const name = "${name}";
export const description = "A tool of the back-pressure test.";
export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };
export default function ${name}({ text }: { text: string }): number { ${body} }
export function test(): void { assert.equal(typeof ${name}({ text: "" }), "number"); }
`;

/** These blocks make their own sandbox (with the server); the one describeSandbox makes keeps no container. */
const NO_EXTRA_SANDBOX = { sandbox: { poolSize: 0 } };

/** The real server (HTTP and MCP at /mcp) on a real sandbox with these bounds, and a tool that spins on request. */
function faces(bounds: Parameters<typeof createTestSandbox>[0]) {
  const parts: { ollama?: ScriptedOllama; served?: TestServer; sandbox?: SandboxPool; mcp?: RecordingClient } = {};
  beforeAll(async () => {
    parts.ollama = await ScriptedOllama.start({ respond: () => "unused" });
    parts.sandbox = (await createTestSandbox({ poolSize: 0, timeoutMs: 20_000, ...bounds })) as SandboxPool;
    parts.served = await startTestServer({ ollama: parts.ollama, sandbox: parts.sandbox });
    parts.mcp = recordingClient();
    await parts.mcp.client.connect(new StreamableHTTPClientTransport(new URL(`${parts.served.url}/mcp`)));
    const spin = await postTool(parts.served, toolModule("spin_on", "if (text === 'spin') for (;;) {} return text.length;"));
    expect(spin.status).toBe(201);
  });
  afterAll(async () => {
    await parts.mcp?.client.close();
    await parts.served?.close();
    await parts.sandbox?.close();
    await parts.ollama?.close();
  });
  return {
    served: () => parts.served!,
    sandbox: () => parts.sandbox!,
    mcp: () => parts.mcp!.client,
  };
}

function postTool(served: TestServer, source: string): Promise<Response> {
  return fetch(`${served.url}/tools`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ source }),
  });
}

describeSandbox(
  "the one bound, through the faces (HTTP, MCP)",
  () => {
    const { served, sandbox, mcp } = faces({ maxContainers: 2, queueLimit: 64 });

    it("runs 40 concurrent POST /tools, then 30 concurrent MCP tool calls, within SANDBOX_MAX_CONTAINERS containers", async () => {
      let statuses: number[] = [];
      let calls: string[] = [];
      const most = await mostContainersDuring(async () => {
        const posts = Array.from({ length: 40 }, (_, n) =>
          postTool(served(), toolModule(`counted_${n}`)).then((response) => response.status),
        );
        const mcpCalls = () =>
          Array.from({ length: 30 }, (_, n) =>
            mcp()
              .callTool({ name: "spin_on", arguments: { text: "x".repeat(n) } })
              .then((result) => textOf(result)),
          );
        statuses = await Promise.all(posts);
        calls = await Promise.all(mcpCalls());
      });
      expect(statuses).toEqual(Array(40).fill(201));
      expect(calls).toEqual(Array.from({ length: 30 }, (_, n) => String(n)));
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(2);
      expect(sandbox().stats().peakContainers).toBeLessThanOrEqual(2);
    });
  },
  NO_EXTRA_SANDBOX,
);

describeSandbox(
  "a full sandbox, through the faces (HTTP, MCP)",
  () => {
    const { served, sandbox, mcp } = faces({ maxContainers: 1, queueLimit: 0 });

    it("answers 503 with Retry-After over HTTP, and an isError result that says to retry over MCP, while nothing may wait", async () => {
      const stop = new AbortController();
      const spinning = mcp()
        .callTool({ name: "spin_on", arguments: { text: "spin" } }, undefined, { signal: stop.signal })
        .catch(() => "cancelled");
      await untilPresent("the spinning call's container", () => sandbox().stats().busy === 1);
      try {
        const response = await postTool(served(), toolModule("refused_while_busy"));
        expect(response.status).toBe(503);
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("sandbox_busy");
        expect(body.error.message).toMatch(/retry in about \d+ s/);

        const result = await mcp().callTool({ name: "spin_on", arguments: { text: "abc" } });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(/ERROR \(busy\): spin_on did not run: .*retry in about \d+ s/);
        expect(result.structuredContent).toMatchObject({ error: "busy", retry_after_seconds: expect.any(Number) });
      } finally {
        stop.abort();
        await spinning;
      }
    });

    it("stops a tool in the sandbox when its MCP call is cancelled, instead of letting it run to its timeout", async () => {
      await untilPresent("no busy container", () => sandbox().stats().busy === 0, { timeoutMs: 30_000 });
      const stop = new AbortController();
      const spinning = mcp()
        .callTool({ name: "spin_on", arguments: { text: "spin" } }, undefined, { signal: stop.signal })
        .catch(() => "cancelled");
      await untilPresent("the spinning call's container", () => sandbox().stats().busy === 1);
      const cancelledAt = performance.now();
      stop.abort();
      await spinning;
      // Killed at once (its timeout is 20 s here), so the one container's place is free again.
      await untilPresent("the cancelled call's container gone", () => sandbox().stats().busy === 0, { timeoutMs: 10_000 });
      expect(performance.now() - cancelledAt).toBeLessThan(10_000);
      expect(textOf(await mcp().callTool({ name: "spin_on", arguments: { text: "done" } }))).toBe("4");
    });
  },
  NO_EXTRA_SANDBOX,
);
