/**
 * Bad input gets a 400 that says what is wrong — never a 500 — and the server keeps serving:
 * malformed percent-encoding in any path parameter, bodies nested thousands of levels deep, a
 * rollback body with an unknown field, a body that is JSON but not an object. The OpenAI `user`
 * field takes any string. /healthz tells a caller without the API key only ok or degraded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SPEC_CHARS } from "../../src/contract.js";
import { EventBus } from "../../src/events.js";
import { createObjectSpace } from "../../src/objects/index.js";
import type { AppDeps } from "../../src/server/app.js";
import { MAX_JSON_DEPTH } from "../../src/server/json-depth.js";
import { createObjectsRouter } from "../../src/server/objects-router.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

let storeHandle: TempStore;
beforeAll(async () => {
  storeHandle = await tempStore();
});
afterAll(async () => storeHandle.cleanup());

const report = { status: "ok" as const, checks: { store: { ok: true, detail: "sqlite store at /secret/data/toolforge.db" } } };

function serve(overrides: Partial<AppDeps> = {}): Promise<ServedApp> {
  const bus = new EventBus();
  const store = storeHandle.store;
  const objects = createObjectSpace({ store, sandbox: refusingSandbox, forge: {} as never, bus });
  return serveApp({
    store,
    bus,
    health: async () => report,
    routers: [createObjectsRouter({ store, sandbox: refusingSandbox, forge: {} as never, bus, objects })],
    ...overrides,
  });
}

interface Answer {
  status: number;
  body: { error?: { message: string; code: string } } & Record<string, unknown>;
  headers: Headers;
}

async function call(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, body: (await response.json()) as Answer["body"], headers: response.headers };
}

const nested = (levels: number, leaf = "1") => "[".repeat(levels) + leaf + "]".repeat(levels);

describe("bad input is a 400, and the server stays healthy", () => {
  let served: ServedApp;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(async () => served.close());

  it.each([
    ["GET", "/tools/%ZZ"],
    ["GET", "/objects/%ZZ"],
    ["GET", "/objects/UvmObjects/%E0%A4%A"],
    ["GET", "/message/%ZZ"],
    ["GET", "/v1/models/%ZZ"],
    ["POST", "/tools/%ZZ/rollback"],
  ])("refuses a malformed percent-encoding in %s %s, saying so", async (method, path) => {
    const answer = await call(`${served.url}${path}`, method, method === "POST" ? "{}" : undefined);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: "invalid_path" });
    expect(answer.body.error!.message).toMatch(/percent-encoding/);
  });

  it.each([
    ["/message", (deep: string) => `{"target_object_id":"system","method_name":"greet","args":[${deep}]}`],
    ["/objects", (deep: string) => `{"id":"deep","attributes":{"a":${deep}}}`],
    ["/chat", (deep: string) => `{"message":${deep}}`],
    ["/v1/chat/completions", (deep: string) => `{"model":"toolforge","messages":[{"role":"user","content":${deep}}]}`],
  ])("refuses a body nested 3,000 levels deep on %s before validating it", async (path, body) => {
    const text = body(nested(3_000));
    expect(text.length).toBeLessThan(13_000);
    const answer = await call(`${served.url}${path}`, "POST", text);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: "body_too_deep" });
    expect(answer.body.error!.message).toContain(`${MAX_JSON_DEPTH} levels`);
  });

  it("accepts a body nested up to the limit", async () => {
    // The message's own object and its args array take two levels.
    const answer = await call(
      `${served.url}/message`,
      "POST",
      `{"target_object_id":"system","method_name":"greet","args":[${nested(MAX_JSON_DEPTH - 2)}]}`,
    );
    expect(answer.status).toBe(202);
  });

  it.each([
    ["/objects", '{"id":"proto_top","__proto__":{"polluted":true}}', "__proto__"],
    ["/objects", '{"id":"proto_attr","attributes":{"__proto__":{"polluted":true},"a":1}}', "attributes.__proto__"],
    ["/objects", '{"id":"proto_deep","attributes":{"a":{"b":[1,{"__proto__":{"polluted":true}}]}}}', "attributes.a.b.1.__proto__"],
    ["/message", '{"target_object_id":"system","method_name":"greet","kwargs":{"__proto__":{"x":1}}}', "kwargs.__proto__"],
    ["/tools/word_count/call", '{"args":{"text":"a","__proto__":{"x":1}}}', "args.__proto__"],
  ])("refuses a __proto__ key in a body to %s with a 400 naming where it is (%#)", async (path, body, where) => {
    const answer = await call(`${served.url}${path}`, "POST", body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: "forbidden_key", param: where });
    expect(answer.body.error!.message).toContain(`"__proto__" at ${where}`);
    const id = /"id":"(proto_\w+)"/.exec(body)?.[1];
    if (id) expect(await storeHandle.store.getObject(id)).toBeNull();
  });

  it.each([
    ["an argument", (spec: string) => ({ args: [spec] })],
    ["kwargs.spec", (spec: string) => ({ kwargs: { spec } })],
  ])("refuses a teaching message whose spec (in %s) is longer than the forge takes, before it is recorded", async (_where, carry) => {
    const answer = await call(
      `${served.url}/message`,
      "POST",
      JSON.stringify({ target_object_id: "system", method_name: "teach_yourself_to_greet", ...carry("be kind. ".repeat(100_000)) }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: "invalid_input" });
    expect(answer.body.error!.message).toMatch(
      new RegExp(`the spec is \\d+ characters long; the most the forge takes is ${MAX_SPEC_CHARS}`),
    );
    expect(answer.body["message_id"]).toBeUndefined();
  });

  it("refuses a rollback body with an unknown field instead of rolling back to the default version", async () => {
    const answer = await call(`${served.url}/tools/word_count/rollback`, "POST", '{"verison": 3}');
    expect(answer.status).toBe(400);
    expect(answer.body.error!.message).toMatch(/verison/);
  });

  it.each([
    ["null", "null"],
    ["5", "a number"],
    ['"hello"', "a string"],
    ["true", "a boolean"],
  ])("says an object was expected for the body %s", async (body, kind) => {
    const answer = await call(`${served.url}/chat`, "POST", body);
    expect(answer.status).toBe(400);
    expect(answer.body.error!.message).toContain(`the request body is ${kind}, not a JSON object`);
    expect(answer.body.error!.code).toBe("invalid_body");
  });

  it("still calls text that is not JSON invalid JSON", async () => {
    const answer = await call(`${served.url}/chat`, "POST", "{nope");
    expect(answer.body.error!.code).toBe("invalid_json");
  });

  it("takes any OpenAI `user`, deriving a safe thread from it; an empty one gets a fresh thread", async () => {
    const completion = (user: string) => JSON.stringify({ model: "toolforge", user, messages: [{ role: "user", content: "hi" }] });
    const zoe = await call(`${served.url}/v1/chat/completions`, "POST", completion("Zoë Müller"));
    expect(zoe.status).toBe(200);
    expect(zoe.headers.get("x-thread-id")).toMatch(/^user-[0-9a-f]{32}$/);
    expect((await call(`${served.url}/v1/chat/completions`, "POST", completion("Zoë Müller"))).headers.get("x-thread-id")).toBe(
      zoe.headers.get("x-thread-id"),
    );
    const nobody = await call(`${served.url}/v1/chat/completions`, "POST", completion(""));
    expect(nobody.status).toBe(200);
    expect(nobody.headers.get("x-thread-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers /healthz after all of that", async () => {
    const answer = await call(`${served.url}/healthz`, "GET");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(report);
  });
});

describe("/healthz with an API key set", () => {
  let served: ServedApp;
  const key = "k".repeat(32);
  beforeAll(async () => {
    served = await serve({ apiKey: key });
  });
  afterAll(async () => served.close());

  it("tells a caller without the key only whether it is ok, and one with the key everything", async () => {
    expect((await call(`${served.url}/healthz`, "GET")).body).toEqual({ status: "ok" });
    expect((await call(`${served.url}/healthz`, "GET", undefined, { authorization: "Bearer wrong" })).body).toEqual({ status: "ok" });
    expect((await call(`${served.url}/healthz`, "GET", undefined, { authorization: `Bearer ${key}` })).body).toEqual(report);
  });
});

// fetch sets Host from the URL and will not let it be changed: speak HTTP/1.1 by hand.
async function requestWithHost(url: string, host: string, path: string, headers = ""): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers}Connection: close\r\n\r\n`);
    });
    let raw = "";
    socket.on("data", (chunk) => (raw += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("end", () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), body: raw.split("\r\n\r\n").slice(1).join("\r\n\r\n") }),
    );
  });
}

describe("DNS rebinding: without an API key only requests for localhost are answered", () => {
  let served: ServedApp;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(async () => served.close());

  it("refuses a page's rebound name with 403 and says how to connect", async () => {
    const answer = await requestWithHost(served.url, "attacker.example:8000", "/tools");
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("host_not_allowed");
    expect(answer.body).toContain("localhost");
  });

  it.each([
    "localhost:1@evil.example",
    "localhost@evil.example:8000",
    "127.0.0.1:8000@evil.example",
    "evil.example#@localhost:8000",
    "localhost:8000/x",
    "localhost:abc",
    "[::1",
  ])("refuses the Host %s, read as a URL authority: its host is not this machine", async (host) => {
    const answer = await requestWithHost(served.url, host, "/tools");
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("host_not_allowed");
  });

  it.each(["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])("answers a request for %s", async (host) => {
    expect((await requestWithHost(served.url, host, "/tools")).status).toBe(200);
  });

  it("leaves /healthz open to any name (it tells nothing a page could use)", async () => {
    expect((await requestWithHost(served.url, "attacker.example", "/healthz")).status).toBe(200);
  });

  it("accepts any name when an API key guards the server", async () => {
    const keyed = await serve({ apiKey: "a-long-enough-secret-key" });
    try {
      const answer = await requestWithHost(keyed.url, "toolforge.internal", "/tools", "Authorization: Bearer a-long-enough-secret-key\r\n");
      expect(answer.status).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});
