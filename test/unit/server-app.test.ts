/**
 * The express app's rules on every route, with a stub chat service and a real (temporary) store:
 * validation errors name the field, malformed JSON and oversized bodies are refused, unknown routes
 * are JSON 404s, the API key guards everything but /healthz, Ollama being down is a 503 that says
 * how to start it, and an unexpected error is a 500 whose id is in the log — after which the server
 * still answers.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { ModelUnavailableError } from "../../src/errors.js";
import type { AppDeps } from "../../src/server/app.js";
import type { ChatService } from "../../src/server/chat/types.js";
import { tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

let storeHandle: TempStore;
beforeAll(async () => {
  storeHandle = await tempStore();
});
afterAll(async () => storeHandle.cleanup());

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const echoChat: ChatService = {
  async run(request, onProgress) {
    const text = request.messages.at(-1)?.content ?? "";
    onProgress?.({ type: "tool_call", name: "echo", args: { text } });
    onProgress?.({ type: "answer", text: `you said: ${text}` });
    return { threadId: request.threadId, reply: `you said: ${text}`, toolsUsed: ["echo"], toolsCreated: [] };
  },
};

function serve(overrides: Partial<AppDeps> = {}): Promise<ServedApp> {
  return serveApp({
    chat: echoChat,
    store: storeHandle.store,
    health: async () => ({ status: "ok", checks: { store: { ok: true, detail: "test" } } }),
    ...overrides,
  });
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return {
    status: response.status,
    body: (await response.json()) as { error?: { message: string; code: string; type: string; error_id?: string } } & Record<
      string,
      unknown
    >,
  };
}

describe("request validation", () => {
  let served: ServedApp;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(async () => served.close());

  it("answers POST /chat with the reply, the thread and the tools", async () => {
    const { status, body } = await post(`${served.url}/chat`, JSON.stringify({ message: "hello", thread_id: "t-1" }));
    expect(status).toBe(200);
    // A chat service that reports no usage: null, never made-up zeros.
    expect(body).toEqual({ reply: "you said: hello", thread_id: "t-1", tools_used: ["echo"], tools_created: [], usage: null });
  });

  it("refuses a /chat body without `message`, naming the field", async () => {
    const { status, body } = await post(`${served.url}/chat`, JSON.stringify({ text: "hello" }));
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/message is required/);
  });

  it("refuses a thread_id of the wrong type, naming the field and the problem", async () => {
    const { status, body } = await post(`${served.url}/chat`, JSON.stringify({ message: "hi", thread_id: 42 }));
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/thread_id: expected string, received number/);
  });

  it("refuses malformed JSON with a 400 that says so", async () => {
    const { status, body } = await post(`${served.url}/chat`, '{"message": "hi",');
    expect(status).toBe(400);
    expect(body.error?.code).toBe("invalid_json");
    expect(body.error?.message).toMatch(/not valid JSON/);
  });

  it("refuses a body over 1 MB with a 413 that names the limit", async () => {
    const big = JSON.stringify({ message: "x".repeat(1024 * 1024 + 10) });
    const { status, body } = await post(`${served.url}/chat`, big);
    expect(status).toBe(413);
    expect(body.error?.message).toMatch(/larger than the limit of 1 MB/);
  });

  it("answers an unknown route with a JSON 404 naming the route", async () => {
    const response = await fetch(`${served.url}/no/such/route`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^no route for GET \/no\/such\/route/);
  });

  it("refuses a completion for another model with a 404 naming it", async () => {
    const { status, body } = await post(
      `${served.url}/v1/chat/completions`,
      JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(status).toBe(404);
    expect(body.error?.message).toMatch(/"gpt-4o" does not exist/);
    expect(body.error?.type).toBe("not_found_error");
  });

  it("refuses a completion without messages, naming the field", async () => {
    const { status, body } = await post(`${served.url}/v1/chat/completions`, JSON.stringify({ model: "toolforge", messages: [] }));
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/messages: .*at least one message/);
  });

  it("refuses a completion whose last message is not the user's", async () => {
    const messages = [
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
    ];
    const { status, body } = await post(`${served.url}/v1/chat/completions`, JSON.stringify({ model: "toolforge", messages }));
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/last message must have role "user" \(got "assistant"\)/);
  });

  it("refuses an invalid x-thread-id header, naming the header", async () => {
    const { status, body } = await post(
      `${served.url}/v1/chat/completions`,
      JSON.stringify({ model: "toolforge", messages: [{ role: "user", content: "hi" }] }),
      { "x-thread-id": "x".repeat(300) },
    );
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/^x-thread-id: must be at most 200 characters/);
  });

  it("keeps answering /healthz after the refusals", async () => {
    const response = await fetch(`${served.url}/healthz`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe("ok");
  });
});

describe("the API key", () => {
  let served: ServedApp;
  const key = "s3cret-key";
  beforeAll(async () => {
    served = await serve({ apiKey: key });
  });
  afterAll(async () => served.close());

  it("is required on /chat: a missing key is a 401 that says how to send it", async () => {
    const { status, body } = await post(`${served.url}/chat`, JSON.stringify({ message: "hi" }));
    expect(status).toBe(401);
    expect(body.error?.message).toMatch(/requires an API key.*Authorization: Bearer/);
  });

  it("rejects a wrong key with a 401 that says it does not match", async () => {
    const { status, body } = await post(`${served.url}/chat`, JSON.stringify({ message: "hi" }), { authorization: "Bearer wrong" });
    expect(status).toBe(401);
    expect(body.error?.message).toMatch(/does not match TOOLFORGE_API_KEY/);
  });

  it("accepts the right key", async () => {
    const { status } = await post(`${served.url}/chat`, JSON.stringify({ message: "hi" }), { authorization: `Bearer ${key}` });
    expect(status).toBe(200);
  });

  it("guards unknown routes too, and leaves /healthz open", async () => {
    expect((await fetch(`${served.url}/tools`)).status).toBe(401);
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
  });
});

describe("failures of the agent", () => {
  it("maps Ollama refusing connections to a 503 that says how to start it", async () => {
    const port = await closedPort();
    const ollamaHost = `http://127.0.0.1:${port}`;
    const chat: ChatService = {
      async run() {
        await fetch(`${ollamaHost}/api/chat`, { method: "POST", body: "{}" }); // a real ECONNREFUSED
        throw new Error("unreachable");
      },
    };
    const served = await serve({ chat, ollamaHost });
    onTestFinished(() => served.close());
    const { status, body } = await post(`${served.url}/chat`, JSON.stringify({ message: "hi" }));
    expect(status).toBe(503);
    expect(body.error?.message).toContain(`Ollama is not reachable at ${ollamaHost}`);
    expect(body.error?.message).toContain("ollama serve");
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
  });

  it("maps ModelUnavailableError to a 503 carrying its hint, in OpenAI's shape on /v1", async () => {
    const chat: ChatService = {
      async run() {
        throw new ModelUnavailableError('model "llama3.1:8b" is not in Ollama', "ollama pull llama3.1:8b");
      },
    };
    const served = await serve({ chat });
    onTestFinished(() => served.close());
    const { status, body } = await post(
      `${served.url}/v1/chat/completions`,
      JSON.stringify({ model: "toolforge", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ code: "model_unavailable", type: "service_unavailable_error", hint: "ollama pull llama3.1:8b" });
    expect(body.error?.message).toMatch(/not in Ollama — ollama pull llama3\.1:8b/);
  });

  it("turns an unexpected error into a 500 with an error id that is in the log, and keeps serving", async () => {
    const secret = `boom-${Math.random().toString(36).slice(2)}`;
    const chat: ChatService = {
      async run() {
        throw new TypeError(secret);
      },
    };
    const served = await serve({ chat });
    onTestFinished(() => served.close());
    const { status, body } = await post(`${served.url}/chat`, JSON.stringify({ message: "hi" }));
    expect(status).toBe(500);
    const id = body.error?.error_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error?.message).toContain(id);
    expect(body.error?.message).not.toContain(secret);
    const logged = served.logs.map((line) => JSON.parse(line) as { errorId?: string; err?: { message?: string }; msg: string });
    expect(logged.some((line) => line.errorId === id && line.err?.message === secret)).toBe(true);
    expect(logged.some((line) => line.msg === "request" && line.errorId === id)).toBe(true);
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
    expect((await post(`${served.url}/chat`, JSON.stringify({}))).status).toBe(400);
  });
});

describe("the request log", () => {
  it("writes one line per request with method, path, status, duration and thread", async () => {
    const served = await serve();
    onTestFinished(() => served.close());
    await post(`${served.url}/chat`, JSON.stringify({ message: "hi", thread_id: "log-thread" }));
    const lines = served.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === "request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "POST", path: "/chat", status: 200, thread: "log-thread" });
    expect(typeof lines[0]?.ms).toBe("number");
  });
});
