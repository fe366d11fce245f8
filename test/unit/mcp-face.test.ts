/**
 * The MCP face driven by the SDK's own Client over the SDK's in-memory transport, on a real
 * runtime (SQLite store, live registry, real forge with a scripted forge model through ChatOllama).
 * No forged code runs here: the sandbox refuses every job. What runs in gVisor — calling a forged
 * tool, forging one that passes — is in test/integration/mcp-*.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ErrorCode, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { MAX_SPEC_CHARS } from "../../src/contract.js";
import { McpFace } from "../../src/mcp/server.js";
import { MCP_TOOLS_PAGE_SIZE } from "../../src/mcp/tools.js";
import { mcpDepsFromRuntime } from "../../src/mcp/deps.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import type { NewToolVersion } from "../../src/store/types.js";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { estimatePromptTokens, ScriptedOllama } from "../support/scripted-ollama.js";
import { replyReserve } from "../../src/util/tokens.js";
import { methodVersion, toolVersion } from "../support/store.js";
import { untilPresent } from "../support/until.js";

function shout(name = "shout", marker = "v1"): NewToolVersion {
  const compiled = `export default function f({ text }) { return text.toUpperCase() + ${JSON.stringify(marker)}; }\n`;
  return toolVersion(name, undefined, {
    compiled,
    source: `// ${marker}\n${compiled}`,
    description: `Shouts a text (${marker}).`,
    schema: {
      type: "object",
      properties: { text: { type: "string", description: "What to shout." } },
      required: ["text"],
      additionalProperties: false,
    },
  });
}

const READ_FILE_REPLY = [
  "Here is the module.",
  "```typescript",
  'import assert from "node:assert/strict";',
  'import { readFileSync } from "node:fs";',
  'export const name = "read_text_file";',
  'export const description = "Reads a text file.";',
  'export const schema = { type: "object", properties: { path: { type: "string" } }, required: ["path"] };',
  "export default function read_text_file({ path }: { path: string }): string {",
  '  return readFileSync(path, "utf8");',
  "}",
  "export function test(): void {",
  '  assert.equal(typeof read_text_file, "function");',
  "}",
  "```",
].join("\n");

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

interface Harness {
  runtime: Runtime;
  face: McpFace;
  client: Client;
  warnings: string[];
  /** Each tools/list_changed the client heard, as the refreshed list's names. */
  changes: string[][];
}

let ollama: ScriptedOllama;
let dir: string;
const open: Harness[] = [];

beforeEach(async () => {
  ollama = await ScriptedOllama.start({ respond: () => READ_FILE_REPLY });
  dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-mcp-"));
});

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.client.close();
    await h.face.close();
    await h.runtime.close();
  }
  await ollama.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(options: { builtins?: BuiltinTool[]; pageSize?: number; env?: Record<string, string> } = {}): Promise<Harness> {
  const config = loadConfig({
    DATA_DIR: path.join(dir, "data"),
    DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools"),
    OLLAMA_HOST: ollama.url,
    FORGE_MODEL: "forge:test",
    FORGE_MAX_ATTEMPTS: "2",
    ...options.env,
  });
  const runtime = await createRuntime(config, { sandbox: refusingSandbox, ...(options.builtins ? { builtins: options.builtins } : {}) });
  const warnings: string[] = [];
  runtime.diagnostics.subscribe(({ message }) => warnings.push(message));
  const face = new McpFace({ ...mcpDepsFromRuntime(runtime), pollMs: 20, pageSize: options.pageSize });
  const changes: string[][] = [];
  const client = new Client(
    { name: "toolforge-test", version: "1.0.0" },
    {
      listChanged: {
        tools: {
          debounceMs: 0,
          onChanged: (error, tools) =>
            void (error ? changes.push([`error: ${error.message}`]) : changes.push((tools ?? []).map((t) => t.name))),
        },
      },
    },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await face.connect(serverSide);
  await client.connect(clientSide);
  const harness = { runtime, face, client, warnings, changes };
  open.push(harness);
  return harness;
}

describe("tools/list", () => {
  it("lists every active tool with its description and JSON Schema, and forge_tool", async () => {
    const h = await connect();
    await h.runtime.store.installToolVersion(shout());
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["forge_tool", "find_tools", "shout"]);
    const listed = tools.find((t) => t.name === "shout") as Tool;
    expect(listed.description).toBe("Shouts a text (v1).");
    expect(listed.inputSchema).toEqual(shout().schema);
    expect(listed._meta).toEqual({ "toolforge/version": 1, "toolforge/origin": "forged" });
    expect(tools[0]!.inputSchema.required).toEqual(["spec"]);
    expect(h.client.getServerCapabilities()?.tools?.listChanged).toBe(true);
  });

  it("lists the library's find_tools once, and it searches the installed tools", async () => {
    const h = await connect();
    await h.runtime.store.installToolVersion(shout());
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    expect(names.filter((n) => n === "find_tools")).toHaveLength(1);
    const found = (await h.client.callTool({ name: "find_tools", arguments: { query: "shout a text" } })) as CallToolResult;
    expect(found.isError).toBeFalsy();
    expect(JSON.parse(textOf(found)).tools.map((t: { name: string }) => t.name)).toEqual(["shout"]);
  });

  it("keeps ToolForge's own forge_tool when a forged tool takes the name, and says so once", async () => {
    const h = await connect();
    await h.runtime.store.installToolVersion(shout("forge_tool"));
    const first = await h.client.listTools();
    await h.client.listTools();
    expect(first.tools.filter((t) => t.name === "forge_tool")).toEqual([expect.objectContaining({ title: "Forge a new tool" })]);
    expect(h.warnings.filter((w) => w.includes("forge_tool v1 is not listed over MCP"))).toHaveLength(1);
  });
});

/** Every page of tools/list, following nextCursor. */
async function allPages(client: Client): Promise<Tool[][]> {
  const pages: Tool[][] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    pages.push(page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages.length < 1_000);
  return pages;
}

const numbered = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `tool_${String(from + i).padStart(4, "0")}`);

describe("tools/list in pages", () => {
  it("lists a library larger than one page with nextCursor: every tool exactly once, forge_tool and find_tools first", async () => {
    const h = await connect({ pageSize: 5 });
    const names = numbered(23);
    for (const name of [...names].reverse()) await h.runtime.store.installToolVersion(shout(name));
    const pages = await allPages(h.client);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 5]);
    const listed = pages.flat().map((t) => t.name);
    expect(listed).toEqual(["forge_tool", "find_tools", ...names]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("holds MCP_TOOLS_PAGE_SIZE tools a page by default", async () => {
    const h = await connect();
    for (const name of numbered(MCP_TOOLS_PAGE_SIZE + 10)) await h.runtime.store.installToolVersion(shout(name));
    const first = await h.client.listTools();
    expect(first.tools).toHaveLength(MCP_TOOLS_PAGE_SIZE);
    expect(first.nextCursor).toEqual(expect.any(String));
    const rest = await h.client.listTools({ cursor: first.nextCursor });
    expect(rest.tools).toHaveLength(12); // 510 forged + forge_tool + find_tools
    expect(rest.nextCursor).toBeUndefined();
    expect(new Set([...first.tools, ...rest.tools].map((t) => t.name)).size).toBe(MCP_TOOLS_PAGE_SIZE + 12);
  });

  it("never repeats a tool when tools are installed between pages; one after the cursor is listed", async () => {
    const h = await connect({ pageSize: 4 });
    for (const name of numbered(10, 10)) await h.runtime.store.installToolVersion(shout(name));
    const first = await h.client.listTools();
    expect(first.tools.map((t) => t.name)).toEqual(["forge_tool", "find_tools", "tool_0010", "tool_0011"]);
    await h.runtime.store.installToolVersion(shout("tool_0000")); // before the cursor: heard through list_changed
    await h.runtime.store.installToolVersion(shout("tool_0099")); // after it
    const listed = [...first.tools];
    let cursor = first.nextCursor;
    while (cursor !== undefined) {
      const page = await h.client.listTools({ cursor });
      listed.push(...page.tools);
      cursor = page.nextCursor;
    }
    const names = listed.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("tool_0099");
    expect(names).not.toContain("tool_0000");
  });

  it("answers a cursor it did not give out with invalid params", async () => {
    const h = await connect({ pageSize: 2 });
    for (const bad of ["not-a-cursor", Buffer.from('{"after":"x"}').toString("base64url")]) {
      const error = await h.client.listTools({ cursor: bad }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
      expect((error as McpError).message).toContain("not a tools/list cursor of this server");
    }
  });

  it("the SDK client's list_changed refresh reads the first page only (docs/mcp.md says so)", async () => {
    const h = await connect({ pageSize: 3 });
    for (const name of numbered(5)) await h.runtime.store.installToolVersion(shout(name));
    await untilPresent("the session to watch", () => h.face.watcher.listening > 0);
    await h.face.watcher.check();
    await h.runtime.store.installToolVersion(shout("tool_0005"));
    expect(await untilPresent("a list_changed", () => h.changes[0])).toEqual(["forge_tool", "find_tools", "tool_0000"]);
  });
});

describe("tools/call", () => {
  it("answers bad arguments with isError and the field that is wrong, before any sandbox", async () => {
    const h = await connect();
    await h.runtime.store.installToolVersion(shout());
    const missing = (await h.client.callTool({ name: "shout", arguments: {} })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toBe("ERROR (invalid_arguments): invalid arguments for shout: `text` is required");
    const wrongType = (await h.client.callTool({ name: "shout", arguments: { text: 3 } })) as CallToolResult;
    expect(textOf(wrongType)).toBe("ERROR (invalid_arguments): invalid arguments for shout: `text` must be string");
  });

  it("answers a tool name longer than any tool's without echoing it whole", async () => {
    const h = await connect();
    const name = "x".repeat(10_080);
    const unknown = (await h.client.callTool({ name, arguments: {} })) as CallToolResult;
    expect(unknown.isError).toBe(true);
    const text = textOf(unknown);
    expect(text.length).toBeLessThan(300);
    expect(text).toMatch(
      /^ERROR \(unknown_tool\): there is no tool named "x{20,}…" \(10080 characters; a name has at most 64\): tools\/list lists the tools/,
    );
  });

  it("answers an unknown tool and a sandbox that cannot run with isError and the reason", async () => {
    const h = await connect();
    await h.runtime.store.installToolVersion(shout());
    const unknown = (await h.client.callTool({ name: "whisper", arguments: {} })) as CallToolResult;
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toBe('ERROR (unknown_tool): there is no tool named "whisper"; find_tools searches the library');
    const refused = (await h.client.callTool({ name: "shout", arguments: { text: "hi" } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^ERROR \(sandbox\): shout could not be run in the sandbox: this test has no sandbox/);
  });
});

describe("forge_tool", () => {
  it("returns the refusal with each attempt's audit rule and line, and reports progress while forging", async () => {
    const h = await connect();
    const progress: string[] = [];
    const result = (await h.client.callTool(
      { name: "forge_tool", arguments: { spec: "read_text_file: reads a text file. Input: {path: string}. Output: its text." } },
      undefined,
      { onprogress: (p) => void progress.push(p.message ?? "") },
    )) as CallToolResult;
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^ERROR \(refused\): the forge did not install a tool for "read_text_file: reads a text file\./);
    expect(text).toContain("no module passed in 2 attempts");
    expect(text).toContain('attempt 1 failed at audit:\n  import-forbidden at line 2, column 30: import of "node:fs"');
    expect(text).toContain("attempt 2 failed at audit:");
    const structured = result.structuredContent as {
      status: string;
      run_id: string;
      attempts: { number: number; stage: string; findings: { rule: string; line: number }[] }[];
    };
    expect(structured.status).toBe("refused");
    expect(structured.attempts.map((a) => [a.number, a.stage, a.findings[0]?.rule, a.findings[0]?.line])).toEqual([
      [1, "audit", "import-forbidden", 2],
      [2, "audit", "import-forbidden", 2],
    ]);
    expect((await h.runtime.store.getForgeRun(structured.run_id))?.status).toBe("failed");
    expect(progress).toEqual([
      expect.stringMatching(/^forging read_text_file \(run /),
      expect.stringMatching(/^attempt 1 failed at audit: /),
      expect.stringMatching(/^attempt 2 failed at audit: /),
    ]);
    expect(await h.runtime.store.getTool("read_text_file")).toBeNull();
  });

  it("refuses bad arguments and a spec the forge cannot take, with the reason", async () => {
    const h = await connect();
    const noSpec = (await h.client.callTool({ name: "forge_tool", arguments: { name: "x" } })) as CallToolResult;
    expect(textOf(noSpec)).toBe("ERROR (invalid_arguments): invalid arguments for forge_tool: `spec` is required");
    const badName = (await h.client.callTool({
      name: "forge_tool",
      arguments: { spec: "counts words", name: "Count Words" },
    })) as CallToolResult;
    expect(badName.isError).toBe(true);
    expect(textOf(badName)).toMatch(/^ERROR \(forge\): not a tool name: "Count Words"/);
    expect(ollama.chatRequests).toHaveLength(0);
  });

  it("refuses a spec longer than the contract's limit, naming it, before any model call", async () => {
    const h = await connect();
    const refused = (await h.client.callTool({
      name: "forge_tool",
      arguments: { spec: `huge_tool: ${"does a great many things. ".repeat(36_000)}` },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(
      `ERROR (invalid_arguments): invalid arguments for forge_tool: \`spec\` must NOT have more than ${MAX_SPEC_CHARS} characters`,
    );
    expect(ollama.chatRequests).toHaveLength(0);
    expect(await h.runtime.store.listForgeRuns({ limit: 10 })).toEqual([]);
  });

  it("fits every request the forge sends to the model's window, the longest spec and a retry's feedback included", async () => {
    const h = await connect({ env: { NUM_CTX: "2048" } });
    const spec = `read_text_file: ${"reads a text file and answers its text, every line of it. ".repeat(80)}`.slice(0, MAX_SPEC_CHARS);
    const refused = (await h.client.callTool({ name: "forge_tool", arguments: { spec } })) as CallToolResult;
    expect(textOf(refused)).toContain("no module passed in 2 attempts");
    const sent = ollama.chatRequests;
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.options?.num_ctx).toBe(2048);
      expect(estimatePromptTokens(request)).toBeLessThanOrEqual(2048 - replyReserve(2048));
    }
    // The run keeps the spec whole; only what the model reads was cut.
    const run = (await h.runtime.store.listForgeRuns({ limit: 1 }))[0];
    expect(run?.spec).toBe(spec.trim());
  });

  it("has the forge itself refuse an overlong spec from any door (a tool's or a method's), before any model call", async () => {
    const h = await connect();
    const spec = "x".repeat(MAX_SPEC_CHARS + 1);
    await expect(h.runtime.forge.forgeTool({ spec })).rejects.toThrow(
      new RegExp(`the spec is ${MAX_SPEC_CHARS + 1} characters long; the most the forge takes is ${MAX_SPEC_CHARS}`),
    );
    await expect(h.runtime.forge.forgeMethod({ objectId: "system", selector: "greet", spec, receiver: {} })).rejects.toThrow(
      /the most the forge takes is/,
    );
    expect(ollama.chatRequests).toHaveLength(0);
    expect(await h.runtime.store.listForgeRuns({ limit: 10 })).toEqual([]);
  });

  it("refuses to forge a tool named forge_tool (reserved), before any model call", async () => {
    const h = await connect();
    for (const args of [{ spec: "forge_tool: forges tools" }, { spec: "forges tools", name: "forge_tool" }]) {
      const refused = (await h.client.callTool({ name: "forge_tool", arguments: args })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/^ERROR \(forge\): "forge_tool" is reserved: it names one of ToolForge's own tools/);
    }
    expect(ollama.chatRequests).toHaveLength(0);
    expect(await h.runtime.store.listForgeRuns({ limit: 10 })).toEqual([]);
  });

  it("reuses an installed tool of the requested name without asking the model", async () => {
    const h = await connect();
    await h.runtime.store.installToolVersion(shout());
    const result = (await h.client.callTool({ name: "forge_tool", arguments: { spec: "shout: shouts a text" } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: "reused", name: "shout", version: 1, input_schema: shout().schema });
    expect(textOf(result)).toMatch(/^shout v1: already installed, reused\./);
    expect(ollama.chatRequests).toHaveLength(0);
  });
});

describe("notifications/tools/list_changed", () => {
  it("reaches the client when another process installs or rolls back a tool, and not when only a method is learned", async () => {
    const h = await connect();
    await h.client.listTools();
    await untilPresent("the session to watch", () => h.face.watcher.listening > 0);
    await h.face.watcher.check();

    // Written straight into the store, as another process sharing it would: no event on this bus.
    await h.runtime.store.installToolVersion(shout("shout", "v1"));
    expect(await untilPresent("a list_changed after the install", () => h.changes[0])).toEqual(["forge_tool", "find_tools", "shout"]);

    await h.runtime.store.installToolVersion(shout("shout", "v2"));
    await untilPresent("a list_changed after v2", () => h.changes[1]);
    await h.runtime.store.rollbackTool("shout");
    await untilPresent("a list_changed after the rollback", () => h.changes[2]);
    expect((await h.client.listTools()).tools.find((t) => t.name === "shout")?.description).toBe("Shouts a text (v1).");

    await h.runtime.store.createObject({ id: "counter" });
    await h.runtime.store.installMethodVersion(methodVersion("counter", "bump", "return 1;", { description: "Bumps." }));
    await h.face.watcher.check();
    // The next change the client hears is the next tool, not the method.
    await h.runtime.store.installToolVersion(shout("whisper"));
    expect(await untilPresent("a list_changed after the next tool", () => h.changes[3])).toEqual([
      "forge_tool",
      "find_tools",
      "shout",
      "whisper",
    ]);
    expect(h.changes).toHaveLength(4);
  });

  it("stops watching the store when the last client is gone", async () => {
    const h = await connect();
    await untilPresent("the session to watch", () => h.face.watcher.listening === 1);
    await h.client.close();
    await untilPresent("the watch to stop", () => h.face.watcher.listening === 0);
    expect(h.face.sessionCount).toBe(0);
  });
});
