/**
 * The real server's edges: Ollama down is a 503 that says how to start it (also for a stream,
 * before anything was streamed), /healthz reports each part and stays 200; close() lets a running
 * request finish, ends /events streams, stops accepting connections and closes the store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { cascade, speakerOf, startTestServer, type TestServer } from "./test-server.js";

function post(url: string, body: unknown) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("with Ollama down", () => {
  let served: TestServer;
  let ollamaUrl: string;
  beforeAll(async () => {
    // An Ollama that was there and is gone: its port now refuses connections.
    const gone = await ScriptedOllama.start();
    ollamaUrl = gone.url;
    await gone.close();
    served = await startTestServer({ ollama: gone });
  });
  afterAll(async () => served?.close());

  it("answers /chat with a 503 that names Ollama and says how to start it", async () => {
    const response = await post(`${served.url}/chat`, { message: "hello?" });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain(`Ollama is not reachable at ${ollamaUrl}`);
    expect(body.error.message).toContain("ollama serve");
  });

  it("answers a streamed completion with the same 503 as JSON, not a broken stream", async () => {
    const response = await post(`${served.url}/v1/chat/completions`, {
      model: "toolforge",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await response.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe("service_unavailable_error");
    expect(body.error.message).toContain("ollama serve");
  });

  it("keeps /healthz at 200 and reports Ollama as down with the fix, the store as up", async () => {
    const response = await fetch(`${served.url}/healthz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; checks: Record<string, { ok: boolean; detail: string; hint?: string }> };
    expect(body.status).toBe("degraded");
    expect(body.checks.ollama).toMatchObject({ ok: false });
    expect(body.checks.ollama?.hint).toContain("ollama serve");
    expect(body.checks.store).toMatchObject({ ok: true });
    expect(body.checks.store?.detail).toContain(served.config.dataDir);
  });
});

describe("shutting down", () => {
  it("finishes the running request, ends /events, refuses new connections and closes the store", async () => {
    const ollama = await ScriptedOllama.start({
      respond: (request) => ({
        content: speakerOf(request) === "alfred" ? "finished after shutdown began" : "slow notes",
        chunkSize: 2,
        chunkDelayMs: 20,
      }),
    });
    const served = await startTestServer({ ollama });
    try {
      const events = await fetch(`${served.url}/events`);
      const reader = events.body!.getReader();
      await reader.read(); // the greeting: the subscription is live

      const running = post(`${served.url}/chat`, { message: "a slow question" });
      while (ollama.chatRequests.length === 0) await new Promise((r) => setTimeout(r, 5));
      const closing = served.server.close();

      const response = await running;
      expect(response.status).toBe(200);
      expect(((await response.json()) as { reply: string }).reply).toBe("finished after shutdown began");
      let ended = false;
      while (!ended) ended = (await reader.read()).done;
      await closing;

      await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
      await expect(served.server.runtime.store.listTools()).rejects.toThrow();
    } finally {
      await served.close();
      await ollama.close();
    }
  });
});

describe("the request log of the real server", () => {
  it("has one line per request with the thread", async () => {
    const ollama = await ScriptedOllama.start({ respond: cascade(() => "logged") });
    const served = await startTestServer({ ollama });
    try {
      await post(`${served.url}/chat`, { message: "hi", thread_id: "logged-thread" });
      const lines = served.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === "request" && l.path === "/chat");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ method: "POST", status: 200, thread: "logged-thread" });
    } finally {
      await served.close();
      await ollama.close();
    }
  });
});
