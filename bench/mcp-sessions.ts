/**
 * What abandoned MCP sessions cost the server: the real server (startServer, a scripted Ollama, no
 * sandbox) in this process; N clients each send `initialize` to /mcp and never come back. Prints the
 * heap and RSS before and after (both after a full GC), how many sessions the server kept and how
 * many it refused (MCP_SESSION_LIMITS in src/mcp/http.ts), and, when many were kept, the memory per
 * session. Measured here: without a cap, 2,000 sessions took the heap from 45.7 to 100.8 MB (28 KB
 * each) and RSS from 218 to 325 MB; with it, 16 are kept, the rest refused, and the heap grows 3.7 MB.
 *
 *   node --expose-gc --import tsx bench/mcp-sessions.ts [N=2000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config.js";
import { startServer } from "../src/server/start.js";
import { refusingSandbox } from "../test/support/refusing-sandbox.js";
import { ScriptedOllama } from "../test/support/scripted-ollama.js";

const count = Number(process.argv[2] ?? 2000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc --import tsx bench/mcp-sessions.ts");

function settledMemory(): { heapMB: number; rssMB: number } {
  for (let i = 0; i < 3; i++) gc!();
  const usage = process.memoryUsage();
  return { heapMB: usage.heapUsed / 2 ** 20, rssMB: usage.rss / 2 ** 20 };
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "abandoner", version: "1" } },
});

const dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-mcp-bench-"));
const ollama = await ScriptedOllama.start({ respond: () => "ok" });
const config = loadConfig({
  OLLAMA_HOST: ollama.url,
  HOST: "127.0.0.1",
  PORT: "0",
  SANDBOX_POOL_SIZE: "0",
  LOG_LEVEL: "warn",
  DATA_DIR: path.join(dir, "data"),
  DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools"),
});
const server = await startServer(config, {
  runtimeOverrides: { sandbox: refusingSandbox },
  handleSignals: false,
  logDestination: { write: () => undefined },
});

try {
  // One session first, so what every session shares (the SDK's modules, the watcher) is loaded.
  await fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: initialize,
  }).then((r) => r.text());
  const before = settledMemory();
  const statuses = new Map<number, number>();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: initialize,
    });
    await response.text();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = settledMemory();
  const kept = statuses.get(200) ?? 0;
  console.log(
    JSON.stringify(
      {
        initializeRequests: count,
        answers: Object.fromEntries(statuses),
        seconds: Math.round(seconds * 10) / 10,
        heapMB: { before: round(before.heapMB), after: round(after.heapMB) },
        rssMB: { before: round(before.rssMB), after: round(after.rssMB) },
        heapGrowthMB: round(after.heapMB - before.heapMB),
        rssGrowthMB: round(after.rssMB - before.rssMB),
        // Meaningful when many were kept (without a cap): what one abandoned session costs.
        heapKBPerKeptSession: kept >= 100 ? round(((after.heapMB - before.heapMB) * 1024) / kept) : null,
      },
      null,
      2,
    ),
  );
} finally {
  await server.close();
  await ollama.close();
  rmSync(dir, { recursive: true, force: true });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
