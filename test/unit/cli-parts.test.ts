/**
 * The CLI's parts without a child process: the SSE parser, the remote chat client against the real
 * app (the stream protocol both ends agree on), doctor's lines and verdict, the Node check, command
 * discovery, and the exit codes of failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ModelUnavailableError } from "../../src/errors.js";
import { checkNode } from "../../src/cli/doctor/node.js";
import { doctorPassed, formatChecks } from "../../src/cli/doctor/run.js";
import { failed, passed } from "../../src/cli/doctor/types.js";
import { reportFailure, ServerError } from "../../src/cli/failure.js";
import { commandModuleFiles } from "../../src/cli/program.js";
import { remoteChat } from "../../src/cli/remote-chat.js";
import { defaultServerUrl, ServerClient } from "../../src/cli/server-client.js";
import { readSse } from "../../src/util/sse-reader.js";
import { loadConfig } from "../../src/config.js";
import type { ChatProgress, ChatService } from "../../src/server/chat/types.js";
import { tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

describe("readSse", () => {
  it("splits events across chunk boundaries, keeps names, joins data lines and drops comments", async () => {
    const events = [];
    for await (const event of readSse(
      streamOf(": hello\n\nevent: tool.cre", 'ated\ndata: {"a":1}\n\ndata: line one\ndata: line two\r\n\r\n', "data: [DONE]\n\n"),
    )) {
      events.push(event);
    }
    expect(events).toEqual([
      { event: "tool.created", data: '{"a":1}' },
      { event: undefined, data: "line one\nline two" },
      { event: undefined, data: "[DONE]" },
    ]);
  });
});

describe("remoteChat against the app", () => {
  let handle: TempStore;
  let served: ServedApp;
  let url: string;
  const asked = {
    tool: "eur_rate",
    version: 1,
    description: "Rates.",
    hosts: ["api.frankfurter.app"],
    missing: ["api.frankfurter.app"],
    denied: [],
  };
  const chat: ChatService = {
    async run(request, onProgress) {
      if (request.messages.at(-1)?.content === "break") throw new ModelUnavailableError("Ollama is not reachable", "ollama serve");
      onProgress?.({ type: "forge", stage: "installed", text: "installed shout v1", name: "shout", version: 1 });
      onProgress?.({ type: "answer", text: "HEL" });
      onProgress?.({ type: "answer", text: "LO" });
      return { threadId: request.threadId, reply: "HELLO", toolsUsed: ["shout"], toolsCreated: ["shout"], consent: [asked] };
    },
  };

  beforeAll(async () => {
    handle = await tempStore();
    served = await serveApp({ chat, store: handle.store });
    url = served.url;
  });
  afterAll(async () => {
    await served.close();
    await handle.cleanup();
  });

  it("reads the stream back into the same progress and result (what tools ask a person included), on the thread it asked for", async () => {
    const progress: ChatProgress[] = [];
    const result = await remoteChat(new ServerClient({ url, apiKey: undefined })).run(
      { threadId: "remote-thread", messages: [{ role: "user", content: "hi" }] },
      (p) => progress.push(p),
    );
    expect(result).toEqual({ threadId: "remote-thread", reply: "HELLO", toolsUsed: ["shout"], toolsCreated: ["shout"], consent: [asked] });
    expect(progress).toEqual([
      { type: "forge", stage: "installed", text: "installed shout v1", name: "shout", version: 1 },
      { type: "answer", text: "HEL" },
      { type: "answer", text: "LO" },
    ]);
  });

  it("turns the server's error into a ServerError with its status and hint", async () => {
    const run = remoteChat(new ServerClient({ url, apiKey: undefined })).run({
      threadId: "t",
      messages: [{ role: "user", content: "break" }],
    });
    await expect(run).rejects.toMatchObject({ name: "ServerError", status: 503, code: "model_unavailable", hint: "ollama serve" });
  });
});

describe("doctor's output", () => {
  it("prints one line per check, the fix under each failure, and fails only on essential ones", () => {
    const checks = [
      passed("Node.js", "v20.1.0"),
      failed("Ollama", "not reachable", "ollama serve"),
      failed("runsc", "runc in use", "unset SANDBOX_RUNTIME", false),
    ];
    const text = formatChecks(checks, { isTTY: false } as NodeJS.WriteStream);
    expect(text.split("\n")).toEqual([
      "✓ Node.js  v20.1.0",
      "✗ Ollama   not reachable",
      "           fix: ollama serve",
      "! runsc    runc in use",
      "           fix: unset SANDBOX_RUNTIME",
      "",
    ]);
    expect(doctorPassed(checks)).toBe(false);
    expect(doctorPassed([checks[0]!, checks[2]!])).toBe(true);
  });

  it("accepts Node 20 and newer and refuses older, with the fix", () => {
    expect(checkNode("v20.0.0").ok).toBe(true);
    expect(checkNode("v22.3.1").ok).toBe(true);
    const old = checkNode("v18.19.0");
    expect(old).toMatchObject({ ok: false, essential: true });
    expect(old.fix).toContain("Node.js 20");
  });
});

describe("the command line's plumbing", () => {
  it("finds every command module, its own first in a fixed order", () => {
    const names = commandModuleFiles().map((file) =>
      file
        .split("/")
        .pop()!
        .replace(/\.(ts|js)$/, ""),
    );
    expect(names.slice(0, 3)).toEqual(["serve", "chat", "ask"]);
    expect(names).toEqual(expect.arrayContaining(["tools", "doctor"]));
    expect(names.indexOf("tools")).toBeLessThan(names.indexOf("doctor"));
  });

  it("reaches a server listening on every address through loopback", () => {
    expect(defaultServerUrl(loadConfig({ HOST: "0.0.0.0", PORT: "8123", TOOLFORGE_API_KEY: "k" }))).toBe("http://127.0.0.1:8123");
    expect(defaultServerUrl(loadConfig({ HOST: "::1", PORT: "8000" }))).toBe("http://[::1]:8000");
  });

  it("exits 2 for a configuration error and 1 for anything else", () => {
    const write = process.stderr.write.bind(process.stderr);
    const written: string[] = [];
    process.stderr.write = (chunk: string) => (written.push(chunk), true);
    try {
      expect(reportFailure(new ConfigError("PORT is bad"))).toBe(2);
      expect(reportFailure(new ServerError(404, "not_found", "no tool named x", "try tools list"))).toBe(1);
      expect(reportFailure(new Error("plain"))).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(written.join("")).toContain("no tool named x (HTTP 404, not_found)");
    expect(written.join("")).toContain("→ try tools list");
  });
});
