/**
 * /mcp over HTTP on the app (createApp with the MCP router) and a real runtime (SQLite store, live
 * registry; the sandbox refuses every job, built-ins run in process): sessions are capped per
 * client and in all, refused with a JSON-RPC error that says what to do; idle sessions are closed,
 * never one with a request still running or a notification stream open; a body the server will
 * not read comes back as a JSON-RPC error. The SDK's client over the real server (and forged tools
 * in gVisor) is test/integration/mcp-http.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createMcpRouter, type McpSessionLimits } from "../../src/mcp/http.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createLogger } from "../../src/service/logger.js";
import { MAX_JSON_DEPTH } from "../../src/server/json-depth.js";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { serveApp, type ServedApp } from "./served-app.js";

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

const slow: BuiltinTool = {
  name: "slow_echo",
  description: "Answers its text after a while.",
  schema: { type: "object", properties: { text: { type: "string" }, ms: { type: "number" } } },
  run: async (args) => {
    await new Promise((resolve) => setTimeout(resolve, Number(args.ms ?? 0)));
    return String(args.text ?? "");
  },
};

let ollama: ScriptedOllama;
let dir: string;
let runtime: Runtime;
let served: ServedApp | undefined;
const clients: Client[] = [];

beforeEach(async () => {
  ollama = await ScriptedOllama.start();
  dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-mcp-http-"));
  const config = loadConfig({ DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "tools"), OLLAMA_HOST: ollama.url });
  runtime = await createRuntime(config, { sandbox: refusingSandbox, builtins: [slow] });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await served?.close();
  served = undefined;
  await runtime.close();
  await ollama.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(limits: Partial<McpSessionLimits> = {}): Promise<string> {
  const logger = createLogger("warn", { write: () => undefined });
  served = await serveApp({ store: runtime.store, routers: [createMcpRouter({ runtime, logger, limits, deps: { pollMs: 20 } })] });
  return served.url;
}

interface RpcAnswer {
  status: number;
  session: string | null;
  retryAfter: string | null;
  text: string;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<RpcAnswer> {
  const response = await fetch(`${url}/mcp`, { method: "POST", headers: { ...MCP_HEADERS, ...headers }, body });
  return {
    status: response.status,
    session: response.headers.get("mcp-session-id"),
    retryAfter: response.headers.get("retry-after"),
    text: await response.text(),
  };
}

/** A session opened by hand and never used again (what the cap is for). */
const initialize = (url: string, as = "client-a") => post(url, INITIALIZE, { authorization: `Bearer ${as}` });

async function sdkClient(url: string): Promise<Client> {
  const client = new Client({ name: "sdk", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  clients.push(client);
  return client;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("MCP sessions over HTTP", () => {
  it("caps the sessions of one client, and all sessions, refusing with a JSON-RPC error that says what to do", async () => {
    const url = await serve({ maxSessionsPerClient: 3, maxSessions: 5 });
    for (let i = 0; i < 3; i++) expect((await initialize(url, "client-a")).status).toBe(200);

    const mine = await initialize(url, "client-a");
    expect(mine.status).toBe(429);
    expect(Number(mine.retryAfter)).toBeGreaterThanOrEqual(1);
    const refusal = JSON.parse(mine.text) as {
      jsonrpc: string;
      id: null;
      error: { code: number; message: string; data: { code: string } };
    };
    expect(refusal).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32000, data: { code: "mcp_sessions_per_client" } } });
    expect(refusal.error.message).toMatch(/this client already has 3 MCP sessions open/);
    expect(refusal.error.message).toMatch(/DELETE \/mcp with their Mcp-Session-Id header/);
    expect(refusal.error.message).toMatch(/an idle session closes after 5 minutes/);

    // Another client still gets its own, up to the server's limit.
    const other = await initialize(url, "client-b");
    expect(other.status).toBe(200);
    expect((await initialize(url, "client-b")).status).toBe(200);
    const full = await initialize(url, "client-c");
    expect(full.status).toBe(503);
    expect(full.retryAfter).not.toBeNull();
    expect(JSON.parse(full.text).error).toMatchObject({ code: -32000, data: { code: "mcp_sessions_full" } });
    expect(JSON.parse(full.text).error.message).toMatch(/the server holds 5 MCP sessions, the most it keeps open: try again in \d+ s/);

    // Ending one makes room.
    const ended = await fetch(`${url}/mcp`, {
      method: "DELETE",
      headers: { "mcp-session-id": other.session!, authorization: "Bearer client-b" },
    });
    expect(ended.status).toBe(200);
    expect((await initialize(url, "client-c")).status).toBe(200);
  });

  it("closes a session idle past its time, and the next request on it is told to initialize again", async () => {
    const url = await serve({ idleMs: 200 });
    const abandoned = await initialize(url);
    expect(abandoned.status).toBe(200);
    await wait(600);
    const late = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), {
      "mcp-session-id": abandoned.session!,
      authorization: "Bearer client-a",
    });
    expect(late.status).toBe(404);
    expect(JSON.parse(late.text).error.message).toMatch(/Session not found: it ended or never existed; initialize a new one/);
  });

  it("keeps a session while a request runs longer than the idle time, and one with a notification stream open", async () => {
    const url = await serve({ idleMs: 200 });
    // A session of bare POSTs, no notification stream: only the running call keeps it.
    const session = (await initialize(url)).session!;
    const call = JSON.stringify({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "slow_echo", arguments: { text: "still here", ms: 700 } },
    });
    const answered = await post(url, call, { "mcp-session-id": session, authorization: "Bearer client-a" });
    expect(answered.status).toBe(200);
    expect(answered.text).toContain('"text":"still here"');

    // The SDK's client keeps its notification stream (GET /mcp) open: the session stays.
    const client = await sdkClient(url);
    await wait(600);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("slow_echo");
  });

  it("frees the room of sessions closed as idle for new ones", async () => {
    const url = await serve({ idleMs: 200, maxSessionsPerClient: 2 });
    expect((await initialize(url)).status).toBe(200);
    expect((await initialize(url)).status).toBe(200);
    expect((await initialize(url)).status).toBe(429);
    await wait(600);
    expect((await initialize(url)).status).toBe(200);
  });
});

describe("a body /mcp will not read", () => {
  it.each([
    [
      "over the size limit",
      "413",
      `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"${"x".repeat(1_100_000)}"}}`,
      413,
      -32600,
      "body_too_large",
      /larger than the limit of 1 MB/,
    ],
    [
      "nested too deep",
      "400",
      `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"a":${"[".repeat(3_000)}${"]".repeat(3_000)}}}`,
      400,
      -32600,
      "body_too_deep",
      new RegExp(`more than ${MAX_JSON_DEPTH} levels`),
    ],
    ["not JSON", "400", "{nope", 400, -32700, "invalid_json", /not valid JSON/],
    [
      "with a __proto__ key",
      "400",
      '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"__proto__":{}}}',
      400,
      -32600,
      "forbidden_key",
      /"__proto__" at params.__proto__/,
    ],
  ])("answers a body %s with a JSON-RPC error (HTTP %s)", async (_label, _shown, body, status, code, ours, message) => {
    const url = await serve();
    const answer = await post(url, body);
    expect(answer.status).toBe(status);
    const parsed = JSON.parse(answer.text) as {
      jsonrpc: string;
      id: null;
      error: { code: number; message: string; data: { code: string } };
    };
    expect(parsed).toMatchObject({ jsonrpc: "2.0", id: null, error: { code, data: { code: ours } } });
    expect(parsed.error.message).toMatch(message);
  });

  it("answers a body that is not application/json with a JSON-RPC error (415)", async () => {
    const url = await serve();
    const answer = await post(url, INITIALIZE, { "content-type": "text/plain" });
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.text)).toMatchObject({ jsonrpc: "2.0", error: { code: -32600, data: { code: "unsupported_media_type" } } });
  });
});
