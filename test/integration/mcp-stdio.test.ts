/**
 * `toolforge mcp` as MCP clients run it: the real CLI spawned as a child process by the SDK's own
 * StdioClientTransport, with its own store, the real gVisor sandbox and the scripted forge model.
 * The client forges a tool through forge_tool, calls it, calls it with bad arguments, hears
 * tools/list_changed when another process installs a tool into the same store, and calls that one
 * too. stdout carries only the protocol; the child ends when the client closes its stdin.
 */
import path from "node:path";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openStore } from "../../src/store/index.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";
import { cliEnv, tempDirs } from "./cli-harness.js";
import { REVERSE_WORDS_SPEC, forgeReplies, recordingClient, textOf, type RecordingClient } from "./mcp-harness.js";
import { untilPresent } from "../support/until.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/toolforge.js");

function shoutVersion() {
  const compiled = [
    'import assert from "node:assert/strict";',
    'export const name = "shout";',
    'export const description = "Shouts a text.";',
    'export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };',
    'export default function shout({ text }) { return text.toUpperCase() + "!"; }',
    'export function test() { assert.equal(shout({ text: "a" }), "A!"); }',
    "",
  ].join("\n");
  return toolVersion("shout", undefined, {
    compiled,
    source: `// written by another process\n${compiled}`,
    description: "Shouts a text.",
    schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  });
}

describeSandbox(
  "toolforge mcp over stdio",
  () => {
    let ollama: ScriptedOllama;
    let dirs: ReturnType<typeof tempDirs>;
    let transport: StdioClientTransport;
    let mcp: RecordingClient;
    let stderr = "";

    beforeAll(async () => {
      ollama = await ScriptedOllama.start({ respond: forgeReplies() });
      dirs = tempDirs();
      const sandboxEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("SANDBOX_")));
      transport = new StdioClientTransport({
        command: process.execPath,
        args: [BIN, "mcp"],
        cwd: dirs.dir,
        env: cliEnv({ ...sandboxEnv, ...dirs.env, OLLAMA_HOST: ollama.url, FORGE_MODEL: "forge:test", SANDBOX_POOL_SIZE: "0" }) as Record<
          string,
          string
        >,
        stderr: "pipe",
      });
      transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      mcp = recordingClient();
      await mcp.client.connect(transport);
    });

    afterAll(async () => {
      await mcp?.client.close();
      await ollama?.close();
      dirs?.cleanup();
    });

    it("forges a tool through forge_tool, lists it, calls it in the sandbox, and refuses bad arguments", async () => {
      expect(mcp.client.getServerVersion()?.name).toBe("toolforge");
      expect((await mcp.client.listTools()).tools.map((t) => t.name)).toEqual(["forge_tool", "find_tools"]);

      const forged = await mcp.client.callTool({ name: "forge_tool", arguments: { spec: REVERSE_WORDS_SPEC } });
      expect(forged.isError).toBeFalsy();
      expect(textOf(forged)).toMatch(/^reverse_words v1: forged and installed in 1 attempt\./);
      expect(
        await untilPresent("list_changed after forge_tool", () => mcp.changes.find((names) => names.includes("reverse_words"))),
      ).toEqual(["forge_tool", "find_tools", "reverse_words"]);

      const called = await mcp.client.callTool({ name: "reverse_words", arguments: { text: "one two three" } });
      expect(called.isError).toBeFalsy();
      expect(textOf(called)).toBe("three two one");

      const bad = await mcp.client.callTool({ name: "reverse_words", arguments: { words: ["a"] } });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toBe(
        "ERROR (invalid_arguments): invalid arguments for reverse_words: `text` is required; `words` is not an accepted field",
      );
    });

    it("hears tools/list_changed when another process installs a tool into the same store, and can call it", async () => {
      const heard = mcp.changes.length;
      const other = await openStore(loadConfig({ DATA_DIR: dirs.env.DATA_DIR }));
      try {
        await other.installToolVersion(shoutVersion());
      } finally {
        await other.close();
      }
      const next = await untilPresent("list_changed after the other process's install", () =>
        mcp.changes.slice(heard).find((names) => names.includes("shout")),
      );
      expect(next).toEqual(["forge_tool", "find_tools", "reverse_words", "shout"]);
      const shouted = await mcp.client.callTool({ name: "shout", arguments: { text: "hey" } });
      expect(textOf(shouted)).toBe("HEY!");
    });

    it("keeps stdout for the protocol, logs on stderr, and exits when the client closes", async () => {
      expect(mcp.errors).toEqual([]);
      expect(stderr).toContain("serving MCP over stdio");
      const pid = transport.pid;
      expect(pid).toBeTypeOf("number");
      await mcp.client.close();
      expect(stderr).toContain("the MCP client closed the session");
      expect(stderr).not.toContain("signal received");
      expect(() => process.kill(pid!, 0)).toThrow(/ESRCH/);
    });
  },
  { sandbox: { poolSize: 0 } },
);
