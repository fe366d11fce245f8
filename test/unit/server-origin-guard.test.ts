/**
 * The cross-origin guard and the JSON body rule (src/server/origin-guard.ts), header by header:
 * what a browser says about a request's origin (Sec-Fetch-Site, Origin, `Origin: null`) decides a
 * state-changing request; reads and programs that send no Origin pass; a POST must be JSON. The
 * browser's own view of it is test/integration/cross-origin-browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolVersion, tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

let handle: TempStore;
let served: ServedApp;

beforeAll(async () => {
  handle = await tempStore();
  for (const n of [1, 2, 3, 4, 5, 6]) await handle.store.installToolVersion(toolVersion("word_count", `return ${n};`));
  served = await serveApp({ store: handle.store });
});

afterAll(async () => {
  await served.close();
  await handle.cleanup();
});

async function rollback(headers: Record<string, string>, body: string | null = "{}") {
  const response = await fetch(`${served.url}/tools/word_count/rollback`, {
    method: "POST",
    headers,
    ...(body === null ? {} : { body }),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

const active = async () => (await handle.store.getTool("word_count"))!.activeVersion;
const json = { "content-type": "application/json" };

describe("state-changing requests a browser marks as coming from another origin", () => {
  it.each<[string, Record<string, string>]>([
    ["an Origin on another host (a browser without Sec-Fetch-Site)", { origin: "http://attacker.example" }],
    ["an Origin on this host but another port", { origin: "http://127.0.0.1:1" }],
    ["Origin: null (a sandboxed frame, a file:// page)", { origin: "null" }],
    ["Sec-Fetch-Site: cross-site without an Origin", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site: same-site (another port of this machine)", { "sec-fetch-site": "same-site", origin: "http://localhost:9" }],
  ])("refuses %s with a 403 naming the origin and what to do, and changes nothing", async (_label, headers) => {
    const before = await active();
    const answer = await rollback({ ...json, ...headers });
    expect(answer.status).toBe(403);
    expect(answer.body.error?.code).toBe("cross_origin_request");
    expect(answer.body.error?.message).toMatch(/its own console .* programs that send no Origin header/);
    if (headers["origin"]) expect(answer.body.error?.message).toContain(headers["origin"]);
    expect(await active()).toBe(before);
  });

  it("refuses every method but GET, HEAD and OPTIONS, on any path (a DELETE too)", async () => {
    const response = await fetch(`${served.url}/mcp`, { method: "DELETE", headers: { origin: "http://attacker.example" } });
    expect(response.status).toBe(403);
  });

  it("lets reads from another origin through (the browser keeps the answer from the page: no CORS header is sent)", async () => {
    const response = await fetch(`${served.url}/tools`, { headers: { origin: "http://attacker.example", "sec-fetch-site": "cross-site" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("keeps the console (same origin) and programs that send no Origin working", async () => {
    const before = await active();
    expect((await rollback({ ...json, origin: served.url, "sec-fetch-site": "same-origin" })).status).toBe(200);
    // A browser without Sec-Fetch-Site: the Origin alone, naming this server.
    expect((await rollback({ ...json, origin: served.url })).status).toBe(200);
    expect((await rollback(json)).status).toBe(200);
    // The browser says same-origin while the Host differs: a reverse proxy that rewrites Host.
    expect((await rollback({ ...json, origin: "https://toolforge.example", "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect(await active()).toBe(before - 4);
  });
});

describe("a POST must be JSON", () => {
  it.each([
    ["text/plain", { "content-type": "text/plain" }, "{}", "Content-Type: text/plain"],
    ["a form", { "content-type": "application/x-www-form-urlencoded" }, "version=1", "Content-Type: application/x-www-form-urlencoded"],
    ["no Content-Type and no body", {}, null, "no Content-Type"],
  ])("refuses %s with a 415 that says to send JSON, and changes nothing", async (_label, headers, body, named) => {
    const before = await active();
    const answer = await rollback(headers, body);
    expect(answer.status).toBe(415);
    expect(answer.body.error?.code).toBe("unsupported_media_type");
    expect(answer.body.error?.message).toContain("Content-Type: application/json");
    expect(answer.body.error?.message).toContain(`this request has ${named}`);
    expect(await active()).toBe(before);
  });

  it("accepts application/json with a charset", async () => {
    expect((await rollback({ "content-type": "application/json; charset=utf-8" })).status).toBe(200);
  });
});
