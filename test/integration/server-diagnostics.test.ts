/**
 * What goes wrong in the background reaches the server's structured log (one diagnostics channel
 * on the runtime, src/diagnostics.ts), with the part it came from: here the registry refusing to
 * bind a forged tool that a built-in shadows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";
import { startTestServer, type TestServer } from "./test-server.js";

const shout: BuiltinTool = {
  name: "shout",
  description: "Shouts.",
  schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  run: async (args) => String(args.text).toUpperCase(),
};

let ollama: ScriptedOllama;
let served: TestServer;
beforeAll(async () => {
  ollama = await ScriptedOllama.start();
  served = await startTestServer({ ollama, builtins: [shout] });
});
afterAll(async () => {
  await served?.close();
  await ollama?.close();
});

describe("the server's log", () => {
  it("receives the runtime's diagnostics, with the part that reported them", async () => {
    const { runtime } = served.server;
    await runtime.store.installToolVersion(toolVersion("shout"));
    await runtime.registry.refresh();
    const lines = served.logs.map((line) => JSON.parse(line) as { level: number; component?: string; msg: string });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        component: "tools",
        msg: expect.stringMatching(/tool shout v1 is not bound: a built-in tool has this name/),
      }),
    );
  });
});
