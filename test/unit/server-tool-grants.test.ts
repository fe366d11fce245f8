/**
 * A person's answers to a tool that asks for hosts, over HTTP (GET/POST /tools/:name/grants,
 * DELETE /tools/:name/grants/:host) against a real temporary store: where each host stands, a
 * grant for the tool or for one version, a credential that is never shown back, revocation, and
 * the refusals (an undeclared host, a credential for several hosts, a tool with no hosts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus, type PublishedEvent } from "../../src/events.js";
import { tempStore, toolVersion, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

let handle: TempStore;
let served: ServedApp;
const bus = new EventBus();
const published: PublishedEvent[] = [];

beforeAll(async () => {
  handle = await tempStore();
  await handle.store.installToolVersion({ ...toolVersion("eur_rate"), hosts: ["api.frankfurter.app", "api.example.com"] });
  await handle.store.installToolVersion(toolVersion("word_count"));
  bus.subscribe((event) => published.push(event));
  served = await serveApp({ store: handle.store, bus });
});

afterAll(async () => {
  await served.close();
  await handle.cleanup();
});

async function call(method: string, route: string, body?: unknown) {
  const response = await fetch(`${served.url}${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, any> };
}

describe("the grants routes", () => {
  it("show every host the active version calls as not answered before anyone answered", async () => {
    const { status, body } = await call("GET", "/tools/eur_rate/grants");
    expect(status).toBe(200);
    expect(body).toEqual({
      name: "eur_rate",
      version: 1,
      hosts: [
        { host: "api.frankfurter.app", status: "not answered", credential: null },
        { host: "api.example.com", status: "not answered", credential: null },
      ],
      answers: [],
    });
  });

  it("grant one host with a credential: answered 201 with its header, never its value, and announced", async () => {
    const { status, body, text } = await call("POST", "/tools/eur_rate/grants", {
      decision: "grant",
      hosts: ["api.frankfurter.app"],
      credential: { header: "Authorization", value: "Bearer top-secret" },
    });
    expect(status).toBe(201);
    expect(body.hosts[0]).toEqual({ host: "api.frankfurter.app", status: "granted", credential: "Authorization" });
    expect(body.hosts[1]).toMatchObject({ host: "api.example.com", status: "not answered" });
    expect(text).not.toContain("top-secret");
    expect(JSON.stringify(published)).not.toContain("top-secret");
    expect(published.filter((e) => e.type === "tool.granted")).toHaveLength(1);
    const detail = await call("GET", "/tools/eur_rate");
    expect(detail.body.access).toEqual(body.hosts);
    expect(detail.text).not.toContain("top-secret");
  });

  it("deny a host for this version only, and show it as denied", async () => {
    const { body } = await call("POST", "/tools/eur_rate/grants", { decision: "deny", scope: "version", hosts: ["api.example.com"] });
    expect(body.hosts[1]).toEqual({ host: "api.example.com", status: "denied", credential: null });
    expect(body.answers.at(-1)).toMatchObject({ host: "api.example.com", decision: "denied", only_this_version: true, version: 1 });
  });

  it("revoke a host at once: it stands not answered again and the answers keep their revocation time", async () => {
    const { status, body } = await call("DELETE", "/tools/eur_rate/grants/api.frankfurter.app");
    expect(status).toBe(200);
    expect(body.revoked).toBe(1);
    expect(body.hosts[0]).toEqual({ host: "api.frankfurter.app", status: "not answered", credential: null });
    expect(body.answers[0].revoked_at).toEqual(expect.any(String));
    expect(published.at(-1)).toMatchObject({ type: "tool.revoked", name: "eur_rate", host: "api.frankfurter.app" });
  });

  it.each([
    [
      "a host the tool does not declare",
      "/tools/eur_rate/grants",
      { decision: "grant", hosts: ["evil.example"] },
      400,
      /does not call evil\.example/,
    ],
    [
      "a credential for several hosts",
      "/tools/eur_rate/grants",
      { decision: "grant", credential: { header: "Authorization", value: "x" } },
      400,
      /a credential is given with a grant of exactly one host/,
    ],
    ["a decision that is neither grant nor deny", "/tools/eur_rate/grants", { decision: "maybe" }, 400, /decision/],
    ["an unknown field", "/tools/eur_rate/grants", { decision: "grant", forever: true }, 400, /forever/],
    ["a tool that calls no host", "/tools/word_count/grants", { decision: "grant" }, 400, /calls no host: there is nothing to grant/],
    ["an unknown tool", "/tools/no_such_tool/grants", { decision: "grant" }, 404, /no tool named \\"no_such_tool\\"/],
  ])("refuse %s, naming it, and record nothing", async (_what, route, body, status, message) => {
    const before = (await handle.store.listGrants("eur_rate")).length;
    const answer = await call("POST", route, body);
    expect(answer.status).toBe(status);
    expect(answer.text).toMatch(message);
    expect((await handle.store.listGrants("eur_rate")).length).toBe(before);
  });

  it("refuse a grant from another origin's page (the origin guard covers these routes too)", async () => {
    const response = await fetch(`${served.url}/tools/eur_rate/grants`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: JSON.stringify({ decision: "grant" }),
    });
    expect(response.status).toBe(403);
  });
});
