/**
 * The console's consent card in headless Chromium against the real server: a tool added through
 * the real admission (audited, validated in the gVisor sandbox) declares a host — a JSON server on
 * 127.0.0.1 standing for a device on the person's own network — and reads it with `ctx.fetch`.
 * BRICK (scripted) calls it; the card names the tool and the host, offers the own-network mark
 * unticked, and nothing reaches the server until a person allows it; after "Allow" and "Ask again"
 * the answer carries the value the server returned, from exactly one request. The tool's page then
 * shows the host as granted; revoked there, it offers the same unticked own-network box beside
 * Allow. Screenshots go to test/artifacts/.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { browserProblem, launchBrowser, mustRunBrowser, screenshot } from "../support/browser.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { speakerOf, startTestServer, type TestServer } from "./test-server.js";

const TOOL = "home_rate";
const RATE = 1.0842;
const QUESTION = "What rate does my home rate server give?";
const SLOW = { timeout: 120_000 };

/** The tool's module: it declares the rate server's host and reads it through the context's fetch. */
function moduleFor(host: string): string {
  return `import assert from "node:assert/strict";

export const name = "${TOOL}";
export const description = "Reads the exchange rate from the rate server on the person's own network.";
export const schema = { type: "object", properties: {}, required: [] };
export const hosts = ["${host}"];

export default async function ${TOOL}(_args: Record<string, never>, ctx: { fetch: typeof fetch }): Promise<number> {
  const response = await ctx.fetch("http://${host}/rate");
  if (!response.ok) throw new Error(\`the rate server answered \${response.status}\`);
  const data = (await response.json()) as { rate: number };
  return data.rate;
}

export async function test(): Promise<void> {
  const fake = { fetch: (async () => new Response(JSON.stringify({ rate: 2 }))) as typeof fetch };
  assert.equal(await ${TOOL}({}, fake), 2);
}
`;
}

function script(request: OllamaChatRequest): ScriptedReply | string {
  const speaker = speakerOf(request);
  const last = request.messages.at(-1);
  if (speaker === "brick") {
    if (last?.role !== "tool") return { toolCalls: [{ name: TOOL, arguments: {} }] };
    return `${TOOL} says ${last.content}.`;
  }
  if (speaker === "alfred") {
    const said = request.messages.map((m) => /home_rate says ([\d.]+)\./.exec(String(m.content))?.[1]).find(Boolean);
    return said ? `Your rate server gives ${said}.` : "I could not read your rate server: it needs your permission.";
  }
  return `${speaker.toUpperCase()} notes: nothing to add.`;
}

const runBrowser = browserProblem === null || mustRunBrowser;
const test = runBrowser ? it : it.skip;

describeSandbox("the console's consent card in a real browser", (sandbox) => {
  let rateServer: http.Server;
  let host: string;
  const rateRequests: string[] = [];
  let ollama: ScriptedOllama;
  let served: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!runBrowser) return;
    rateServer = http.createServer((req, res) => {
      rateRequests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ rate: RATE }));
    });
    await new Promise<void>((resolve) => rateServer.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(rateServer.address() as AddressInfo).port}`;

    ollama = await ScriptedOllama.start({ respond: script });
    // A loopback host can be granted only on a server that allows it (tests on one machine).
    served = await startTestServer({ ollama, sandbox: sandbox(), env: { EGRESS_ALLOW_LOOPBACK: "on" } });
    const added = await fetch(`${served.url}/tools`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ source: moduleFor(host), file: `${TOOL}.ts` }),
    });
    expect(added.status, await added.clone().text()).toBe(201);

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await ollama?.close();
    await new Promise<void>((resolve) => (rateServer ? rateServer.close(() => resolve()) : resolve()));
  });

  test(`${browserProblem && !mustRunBrowser ? `skipped: ${browserProblem}: ` : ""}asks a person before the tool reaches the host, and answers with what the host returned once allowed`, async () => {
    await page.goto(served.url);
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Chat", exact: true }).click();
    await page.getByLabel("Message").fill(QUESTION);
    await page.getByRole("button", { name: "Send" }).click();

    const card = page.locator(`.consent-card[data-tool="${TOOL}"]`);
    await card.waitFor(SLOW);
    await page.locator('.exchange[data-status="done"]').waitFor(SLOW);
    expect(await card.locator("h4").textContent()).toBe(`${TOOL} v1 asks to reach ${host}`);
    // The own-network mark is offered for this address, and never ticked for the person.
    const mark = card.getByRole("checkbox", { name: `${host} is on my own network: allow plain http (otherwise HTTPS only)` });
    expect(await mark.isChecked()).toBe(false);
    expect(rateRequests).toEqual([]);
    await screenshot(page, "console-consent-card");

    await mark.check();
    await card.getByRole("button", { name: "Allow", exact: true }).click();
    await card.getByRole("status").filter({ hasText: "Allowed." }).waitFor();
    const grants = await served.server.runtime.store.listGrants(TOOL);
    expect(grants.map((g) => [g.host, g.decision, g.onlyThisVersion, g.privateNetwork])).toEqual([[host, "granted", false, true]]);
    expect(rateRequests).toEqual([]);

    await page.getByRole("button", { name: "Ask again" }).click();
    await page.locator(".exchange .answer", { hasText: `Your rate server gives ${RATE}.` }).waitFor(SLOW);
    await page.locator('.exchange[data-status="done"]').waitFor(SLOW);
    expect(rateRequests).toEqual(["GET /rate"]);
    expect(await page.locator(".consent-card").count()).toBe(0);
    await screenshot(page, "console-consent-answered");
    expect(pageErrors).toEqual([]);
  });
  test(`${browserProblem && !mustRunBrowser ? `skipped: ${browserProblem}: ` : ""}lets a person revoke the host on the tool's page and allow it again with the same own-network mark`, async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Library", exact: true }).click();
    await page.getByRole("link", { name: TOOL, exact: true }).click();
    const row = page.locator(`table.access tr[data-host="${host}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-status")).toBe("granted");

    await row.getByRole("button", { name: "Revoke" }).click();
    await page.locator(`table.access tr[data-host="${host}"][data-status="not answered"]`).waitFor();
    const revoked = await served.server.runtime.store.listGrants(TOOL);
    expect(revoked.map((g) => [g.host, g.revokedAt !== null])).toEqual([[host, true]]);
    const mark = row.getByRole("checkbox", { name: "on my own network: allow plain http" });
    expect(await mark.isChecked()).toBe(false);
    await screenshot(page, "console-tool-reaches");

    await mark.check();
    await row.getByRole("button", { name: "Allow", exact: true }).click();
    await page.locator(`table.access tr[data-host="${host}"][data-status="granted"]`).waitFor();
    const standing = (await served.server.runtime.store.listGrants(TOOL)).filter((g) => g.revokedAt === null);
    expect(standing.map((g) => [g.host, g.decision, g.onlyThisVersion, g.privateNetwork])).toEqual([[host, "granted", false, true]]);
    expect(pageErrors).toEqual([]);
  });
});
