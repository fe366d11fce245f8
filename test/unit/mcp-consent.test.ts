/**
 * A tool that asks for hosts, called over MCP (the SDK's own Client over its in-memory transport,
 * a real runtime on SQLite): a client that supports elicitation is asked and its person's answer is
 * recorded before the call goes on; any other client gets `isError` naming the command that grants.
 * The sandbox only counts the jobs that reach it: a job is the proof that consent let the call through.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { mcpDepsFromRuntime } from "../../src/mcp/deps.js";
import { McpFace } from "../../src/mcp/server.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { recordingRefusingSandbox } from "../support/refusing-sandbox.js";
import { toolVersion } from "../support/store.js";

let dir: string;
let runtime: Runtime;
let face: McpFace;
let client: Client;
const asked: ElicitRequest["params"][] = [];

const countingSandbox = recordingRefusingSandbox();
const jobs = countingSandbox.jobs;

async function connect(answer: ((request: ElicitRequest["params"]) => ElicitResult) | null): Promise<void> {
  const config = loadConfig({ DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools") });
  runtime = await createRuntime(config, { sandbox: countingSandbox });
  await runtime.store.installToolVersion({ ...toolVersion("eur_rate"), hosts: ["api.frankfurter.app"] });
  face = new McpFace({ ...mcpDepsFromRuntime(runtime), pollMs: 20 });
  client = new Client({ name: "toolforge-test", version: "1.0.0" }, answer ? { capabilities: { elicitation: {} } } : {});
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params);
      return answer(request.params);
    });
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await face.connect(serverSide);
  await client.connect(clientSide);
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

async function callRates(): Promise<CallToolResult> {
  return (await client.callTool({ name: "eur_rate", arguments: {} })) as CallToolResult;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-mcp-consent-"));
  jobs.length = 0;
  asked.length = 0;
});

afterEach(async () => {
  await client.close();
  await face.close();
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a tool that asks for hosts, over MCP", () => {
  it("lists the tool as reaching the world, with the hosts it calls", async () => {
    await connect(null);
    const listed = (await client.listTools()).tools.find((t) => t.name === "eur_rate");
    expect(listed?.annotations).toMatchObject({ openWorldHint: true, readOnlyHint: false });
    expect(listed?._meta).toMatchObject({ "toolforge/hosts": ["api.frankfurter.app"] });
  });

  it("answers a client without elicitation with isError naming the command that grants, and runs nothing", async () => {
    await connect(null);
    const result = await callRates();
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("toolforge tools grant eur_rate api.frankfurter.app");
    expect(jobs).toHaveLength(0);
    expect(await runtime.store.listGrants("eur_rate")).toEqual([]);
  });

  it("asks a client with elicitation, records its person's grant, then makes the call", async () => {
    await connect(() => ({ action: "accept", content: { decision: "grant" } }));
    await callRates();
    expect(asked).toHaveLength(1);
    expect(asked[0]?.message).toContain('The tool "eur_rate" (v1');
    expect(asked[0]?.message).toContain("api.frankfurter.app");
    const grants = await runtime.store.listGrants("eur_rate");
    expect(grants.map((g) => [g.host, g.decision, g.onlyThisVersion])).toEqual([["api.frankfurter.app", "granted", false]]);
    expect(jobs).toHaveLength(1);
    // Granted now: the next call asks nobody.
    await callRates();
    expect(asked).toHaveLength(1);
    expect(jobs).toHaveLength(2);
  });

  it('records "this version only" as such', async () => {
    await connect(() => ({ action: "accept", content: { decision: "grant_version" } }));
    await callRates();
    expect((await runtime.store.listGrants("eur_rate")).map((g) => g.onlyThisVersion)).toEqual([true]);
  });

  it("records a denial and makes no call", async () => {
    await connect(() => ({ action: "accept", content: { decision: "deny" } }));
    const result = await callRates();
    expect(result.isError).toBe(true);
    expect(jobs).toHaveLength(0);
    expect((await runtime.store.listGrants("eur_rate")).map((g) => g.decision)).toEqual(["denied"]);
  });

  it("records nothing when the person declines to answer, and says how to grant later", async () => {
    await connect(() => ({ action: "decline" }));
    const result = await callRates();
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("toolforge tools grant eur_rate");
    expect(jobs).toHaveLength(0);
    expect(await runtime.store.listGrants("eur_rate")).toEqual([]);
  });
});
