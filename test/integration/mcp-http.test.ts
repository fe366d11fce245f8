/**
 * The MCP face at /mcp over Streamable HTTP, on the real server (startServer: store, registry,
 * forge, agent graph) with the real gVisor sandbox and an API key, driven by the SDK's own Client:
 * forge a tool through forge_tool, call it, call it with bad arguments, see a refusal with its
 * reasons, see tools/list_changed when BRICK forges a tool through POST /chat, and be refused
 * without the key.
 */
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { CUBE_SPEC, REVERSE_WORDS_SPEC, forgeReplies, recordingClient, textOf, type RecordingClient } from "./mcp-harness.js";
import { untilPresent } from "../support/until.js";
import { speakerOf, startTestServer, type TestServer } from "./test-server.js";

const API_KEY = "mcp-test-key-0123456789";

function script(): (request: OllamaChatRequest) => ScriptedReply | string {
  const forge = forgeReplies();
  return (request) => {
    const speaker = speakerOf(request);
    if (speaker === "forge") return forge(request);
    if (speaker === "brick") {
      if (request.tools?.some((t) => t.function.name === "word_count")) return "word_count is ready.";
      return "I cannot count words exactly.\nTOOL_REQUIRED: word_count: counts the words in a text. Input: {text: string}. Output: number of words.";
    }
    return speaker === "alfred" ? "A tool now counts words." : `${speaker} agrees`;
  };
}

describeSandbox(
  "MCP over Streamable HTTP at /mcp",
  (sandbox) => {
    let ollama: ScriptedOllama;
    let served: TestServer;
    let mcp: RecordingClient;

    beforeAll(async () => {
      ollama = await ScriptedOllama.start({ respond: script() });
      served = await startTestServer({ ollama, sandbox: sandbox(), env: { TOOLFORGE_API_KEY: API_KEY, FORGE_MAX_ATTEMPTS: "2" } });
      mcp = recordingClient();
      await mcp.client.connect(
        new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${API_KEY}` } },
        }),
      );
    });

    afterAll(async () => {
      await mcp?.client.close();
      await served?.close();
      await ollama?.close();
    });

    it("is refused without the API key (401), for raw requests and for an SDK client", async () => {
      const raw = await fetch(`${served.url}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } },
        }),
      });
      expect(raw.status).toBe(401);
      expect(raw.headers.get("www-authenticate")).toBe('Bearer realm="toolforge"');
      expect(((await raw.json()) as { error: { code: string } }).error.code).toBe("missing_api_key");

      const keyless = recordingClient();
      // The SDK's StreamableHTTPError carries the HTTP status as its code.
      await expect(keyless.client.connect(new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`)))).rejects.toMatchObject({
        code: 401,
      });
      const wrongKey = recordingClient();
      const transport = new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), {
        requestInit: { headers: { Authorization: "Bearer not-the-key" } },
      });
      await expect(wrongKey.client.connect(transport)).rejects.toMatchObject({
        code: 401,
        message: expect.stringContaining("invalid_api_key"),
      });
    });

    it("lists forge_tool, forges a tool through it, lists the new tool and calls it in the sandbox", async () => {
      expect((await mcp.client.listTools()).tools.map((t) => t.name)).toEqual(["forge_tool", "find_tools"]);

      const forged = await mcp.client.callTool({ name: "forge_tool", arguments: { spec: REVERSE_WORDS_SPEC } });
      expect(forged.isError).toBeFalsy();
      expect(forged.structuredContent).toMatchObject({
        status: "installed",
        name: "reverse_words",
        version: 1,
        attempts: 1,
        input_schema: { type: "object", required: ["text"] },
      });
      expect(
        await untilPresent("list_changed after forge_tool", () => mcp.changes.find((names) => names.includes("reverse_words"))),
      ).toEqual(["forge_tool", "find_tools", "reverse_words"]);

      const listed = (await mcp.client.listTools()).tools.find((t) => t.name === "reverse_words");
      expect(listed?.description).toBe("Reverses the order of the words in a text.");
      expect(listed?.inputSchema).toMatchObject({
        properties: { text: { type: "string" } },
        required: ["text"],
        additionalProperties: false,
      });

      const called = await mcp.client.callTool({ name: "reverse_words", arguments: { text: "alpha beta  gamma" } });
      expect(called.isError).toBeFalsy();
      expect(textOf(called)).toBe("gamma beta alpha");
    });

    it("answers bad arguments with isError and the reason, without running anything", async () => {
      const bad = await mcp.client.callTool({ name: "reverse_words", arguments: { text: "a", loud: true } });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toBe("ERROR (invalid_arguments): invalid arguments for reverse_words: `loud` is not an accepted field");
    });

    it("returns forge_tool's refusal with the audit rule and line, and the failing test", async () => {
      const refused = await mcp.client.callTool({ name: "forge_tool", arguments: { spec: CUBE_SPEC } });
      expect(refused.isError).toBe(true);
      const text = textOf(refused);
      expect(text).toContain("no module passed in 2 attempts");
      expect(text).toContain("attempt 1 failed at audit:\n  import-forbidden at line 2, column");
      expect(text).toMatch(/attempt 2 failed at sandbox:\n {2}test\(\) failed: AssertionError/);
      expect(text).toMatch(/9 !== 27/);
      expect(text).toMatch(/module\.ts:12:\d+/);
      expect((await mcp.client.listTools()).tools.map((t) => t.name)).not.toContain("cube_number");
    });

    it("sends tools/list_changed when BRICK forges a tool through POST /chat", async () => {
      const heard = mcp.changes.length;
      const chat = await fetch(`${served.url}/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ message: "How many words are in 'one two three'?" }),
      });
      expect(chat.status).toBe(200);
      expect(((await chat.json()) as { tools_created: string[] }).tools_created).toEqual(["word_count"]);
      const next = await untilPresent("list_changed after the chat's forge", () =>
        mcp.changes.slice(heard).find((names) => names.includes("word_count")),
      );
      expect(next).toEqual(["forge_tool", "find_tools", "reverse_words", "word_count"]);
      expect(mcp.errors).toEqual([]);
    });

    it("ends open MCP sessions at shutdown instead of waiting for their notification streams", async () => {
      expect(await untilPresent("the session in the log", () => served.logs.some((line) => line.includes('"MCP session opened"')))).toBe(
        true,
      );
      await served.close();
      expect(served.logs.filter((line) => line.includes("still running after"))).toEqual([]);
      expect(served.logs.some((line) => line.includes('"stopped"'))).toBe(true);
    });
  },
  { sandbox: { poolSize: 0 } },
);
