/**
 * Cross-site requests from a real browser: headless Chromium opens a page served on another port
 * (as `localhost`: another site; as `127.0.0.1`: the same site, another origin) and sends every
 * state-changing route of a server without an API key the requests a page can send without a CORS
 * preflight — `fetch(…, {method: "POST", mode: "no-cors"})` with and without a body, and form
 * posts (url-encoded, and text/plain shaped like JSON). Each is answered 403, and nothing changed:
 * the tool stays at v2, no tool ran, no turn reached the model, no object, message or MCP session
 * was made. The console's own page (same origin) and a program without an Origin still roll back.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { browserProblem, launchBrowser, mustRunBrowser } from "../support/browser.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";
import { startTestServer, type TestServer } from "./test-server.js";

const runBrowser = browserProblem === null || mustRunBrowser;
const test = runBrowser ? it : it.skip;
const skipped = browserProblem && !mustRunBrowser ? `skipped: ${browserProblem}: ` : "";

let echoCalls = 0;
const echo: BuiltinTool = {
  name: "echo_text",
  description: "Answers the text it is given.",
  schema: { type: "object", properties: { text: { type: "string" } } },
  run: async (args) => {
    echoCalls += 1;
    return String(args.text ?? "");
  },
};

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "page", version: "1" } },
};

/** Every state-changing route, each with the JSON body it would take. */
const ROUTES: { path: string; body: Record<string, unknown> }[] = [
  { path: "/tools/word_count/rollback", body: {} },
  { path: "/tools/echo_text/call", body: { args: { text: "planted" } } },
  { path: "/tools", body: { source: "export const name = 'planted';" } },
  { path: "/chat", body: { message: "forge something" } },
  { path: "/v1/chat/completions", body: { model: "toolforge", messages: [{ role: "user", content: "hi" }] } },
  { path: "/message", body: { target_object_id: "counter", method_name: "increment" } },
  { path: "/objects", body: { id: "planted" } },
  { path: "/mcp", body: INITIALIZE },
];

/** What a page sends for each route: fetch no-cors without a body and with JSON as text, and two forms. */
const ATTEMPTS_PER_ROUTE = 4;

/**
 * Runs in the page (JavaScript, as the browser gets it): simple requests only, the kind a browser
 * sends to any origin without asking first. text/plain form bodies are `name=value`: a name ending
 * in `"x":"` and the value `"}` make them JSON.
 */
const ATTACK = `async ({ target, routes }) => {
  const formPost = (path, enctype, fields) =>
    new Promise((resolve) => {
      const sink = document.createElement("iframe");
      sink.name = "sink-" + Math.random().toString(36).slice(2);
      document.body.append(sink);
      const form = document.createElement("form");
      form.method = "POST";
      form.action = target + path;
      form.enctype = enctype;
      form.target = sink.name;
      for (const [name, value] of fields) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      sink.addEventListener("load", () => resolve(), { once: true });
      form.submit();
    });
  for (const { path, json } of routes) {
    await fetch(target + path, { method: "POST", mode: "no-cors" }).catch(() => undefined);
    await fetch(target + path, { method: "POST", mode: "no-cors", body: json, headers: { "content-type": "text/plain" } }).catch(() => undefined);
    await formPost(path, "text/plain", [[json.slice(0, -1) + ',"x":"', '"}']]);
    await formPost(path, "application/x-www-form-urlencoded", [["json", json]]);
  }
}`;

describe("state-changing requests from another origin", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  let attacker: http.Server;
  let attackerPort: number;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!runBrowser) return;
    ollama = await ScriptedOllama.start({ respond: () => "nothing to add" });
    served = await startTestServer({ ollama, builtins: [echo] });
    const { store, registry } = served.server.runtime;
    await store.installToolVersion(toolVersion("word_count", "return 1;"));
    await store.installToolVersion(toolVersion("word_count", "return 2;"));
    await store.createObject({ id: "counter", attributes: { count: 0 }, prototypes: [] });
    await registry.refresh();
    attacker = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>another site</title><p>nothing to see</p>");
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await launchBrowser();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
    await served?.close();
    await ollama?.close();
  });

  /** The request lines the server logged for `path`, from the first one after `since`. */
  function answered(path: string, since: number): number[] {
    return served.logs
      .slice(since)
      .map((line) => JSON.parse(line) as { msg: string; method?: string; path?: string; status?: number })
      .filter((line) => line.msg === "request" && line.path === path && line.method === "POST")
      .map((line) => line.status!);
  }

  async function activeVersion(name: string): Promise<number> {
    const response = await fetch(`${served.url}/tools/${name}`);
    return ((await response.json()) as { active_version: number }).active_version;
  }

  async function attackFrom(origin: string): Promise<number> {
    const since = served.logs.length;
    await page.goto(`${origin}/`);
    const routes = ROUTES.map((route) => ({ path: route.path, json: JSON.stringify(route.body) }));
    await page.evaluate(`(${ATTACK})(${JSON.stringify({ target: served.url, routes })})`);
    return since;
  }

  for (const [kind, host] of [
    ["another site (localhost, another port)", "localhost"],
    ["the same site on another port (127.0.0.1)", "127.0.0.1"],
  ] as const) {
    test(`${skipped}refuses every state-changing route from ${kind} with a 403, and nothing changes`, async () => {
      const since = await attackFrom(`http://${host}:${attackerPort}`);
      for (const route of ROUTES) {
        expect(answered(route.path, since), route.path).toEqual(Array(ATTEMPTS_PER_ROUTE).fill(403));
      }
      expect(await activeVersion("word_count")).toBe(2);
      expect(echoCalls).toBe(0);
      expect(ollama.chatRequests).toEqual([]);
      const tools = (await (await fetch(`${served.url}/tools`)).json()) as { tools: { name: string }[] };
      expect(tools.tools.map((t) => t.name)).toEqual(["word_count"]);
      expect((await fetch(`${served.url}/objects/planted`)).status).toBe(404);
      expect(await served.server.runtime.store.getObject("counter")).toMatchObject({ attributes: { count: 0 }, revision: 1 });
      expect(served.logs.filter((line) => line.includes("MCP session opened"))).toEqual([]);
    });
  }

  test(`${skipped}says what is refused and what to do, in the answer a page cannot read`, async () => {
    await page.goto(`http://localhost:${attackerPort}/`);
    // A CORS request (not no-cors) is refused by the browser before the page reads anything; the
    // server's answer is what a person sees when they look: the same 403 with the reason.
    const answer = await fetch(`${served.url}/tools/word_count/rollback`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: `http://localhost:${attackerPort}` },
      body: "{}",
    });
    expect(answer.status).toBe(403);
    const body = (await answer.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("cross_origin_request");
    expect(body.error.message).toContain(`http://localhost:${attackerPort}`);
    expect(body.error.message).toMatch(/console|curl|CLI/);
  });

  test(`${skipped}keeps the console's own page (same origin) and programs without an Origin working`, async () => {
    await page.goto(`${served.url}/`);
    const status = await page.evaluate(async () => {
      const response = await fetch("/tools/word_count/rollback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return response.status;
    });
    expect(status).toBe(200);
    expect(await activeVersion("word_count")).toBe(1);

    const fromProgram = await fetch(`${served.url}/tools/word_count/rollback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: 2 }),
    });
    expect(fromProgram.status).toBe(200);
    expect(await activeVersion("word_count")).toBe(2);
  });
});
