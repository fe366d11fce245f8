/**
 * The web console in headless Chromium against the real server: the scripted Ollama model (real
 * ChatOllama over a socket), the real forge and audit, the real gVisor sandbox, a real SQLite store,
 * and the API key set. A person's path through it: refused without the key (and with a wrong one),
 * let in with the right one; forges a tool from the chat box and watches the forge beside the
 * answer; reads the run's attempts, the first refused by the audit with the finding on the line it
 * points at, the second passing, and the diff between them; rolls the tool back after a
 * confirmation; sees events arrive live; sends a message to an object and sees it done.
 * Screenshots of every page go to test/artifacts/.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { sha256Hex } from "../../src/store/index.js";
import { browserProblem, launchBrowser, mustRunBrowser, screenshot } from "../support/browser.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { reply } from "./forge-fixtures.js";
import { mentions, speakerOf, startTestServer, type TestServer } from "./server-harness.js";

const KEY = "console-browser-test-key-0123456789";
const QUESTION = "How many vowels are in 'forge console'?";
const ANSWER = "There are 5 vowels in 'forge console'.";
const SLOW = { timeout: 120_000 };

/** The first module the forge model writes: the audit refuses it (it reads the process object). */
const REFUSED_MODULE = `import assert from "node:assert/strict";

export const name = "vowel_count";
export const description = "Counts the vowels in a text.";
export const schema = {
  type: "object",
  properties: { text: { type: "string", description: "The text." } },
  required: ["text"],
};

export default function vowel_count({ text }: { text: string }): number {
  const verbose = process.env.VERBOSE === "1";
  return (text.match(/[aeiou]/gi) ?? []).length;
}

export function test(): void {
  assert.equal(vowel_count({ text: "forge console" }), 5);
}`;
const REFUSED_LINE = REFUSED_MODULE.split("\n").findIndex((line) => line.includes("process.env")) + 1;

/** The repaired module: passes the audit and its test in the sandbox. */
const PASSING_MODULE = REFUSED_MODULE.replace('  const verbose = process.env.VERBOSE === "1";\n', "");

const COUNT_METHOD = `import assert from "node:assert/strict";

export const name = "count";
export const description = "Adds one to self.count and answers the new count.";

export default function count(self: { count?: number }): number {
  self.count = (self.count ?? 0) + 1;
  return self.count;
}

export function test(): void {
  const self: { count?: number } = {};
  assert.equal(count(self), 1);
  assert.equal(count(self), 2);
}`;

let toolForgeRequests = 0;

function script(request: OllamaChatRequest): ScriptedReply | string {
  const speaker = speakerOf(request);
  if (speaker === "forge") {
    if (mentions(request, "living object")) return reply(COUNT_METHOD);
    toolForgeRequests += 1;
    return reply(toolForgeRequests === 1 ? REFUSED_MODULE : PASSING_MODULE, "Here is the tool.");
  }
  if (speaker === "brick") {
    const bound = request.tools?.some((t) => t.function.name === "vowel_count") ?? false;
    const answered = request.messages.some((m) => m.role === "tool");
    if (!bound)
      return "I cannot count vowels exactly.\nTOOL_REQUIRED: vowel_count: counts the vowels in a text. Input: {text: string}. Output: number.";
    if (!answered) return { toolCalls: [{ name: "vowel_count", arguments: { text: "forge console" } }] };
    return "vowel_count says 5.";
  }
  if (speaker === "alfred") return { content: ANSWER, chunkSize: 3, chunkDelayMs: 20 };
  return `${speaker.toUpperCase()} notes: nothing to add.`;
}

const runBrowser = browserProblem === null || mustRunBrowser;

describeSandbox("the console in a real browser", (sandbox) => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!runBrowser) return;
    ollama = await ScriptedOllama.start({ respond: script });
    served = await startTestServer({ ollama, sandbox: sandbox(), env: { TOOLFORGE_API_KEY: KEY } });
    const created = await api("/objects", { method: "POST", body: JSON.stringify({ id: "counter", attributes: {} }) });
    expect(created.status).toBe(201);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on("request", (request) => requested.push(request.url()));
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await ollama?.close();
  });

  function api(path: string, init: RequestInit = {}) {
    return fetch(`${served.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    });
  }

  const nav = (label: string) => page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: label, exact: true }).click();

  const test = runBrowser ? it : it.skip;

  test(`${browserProblem && !mustRunBrowser ? `skipped: ${browserProblem}: ` : ""}refuses the console without the key, and with a wrong one`, async () => {
    await page.goto(served.url);
    await page.getByLabel("API key", { exact: true }).waitFor();
    expect(await page.getByRole("heading", { name: "This server needs its API key" }).isVisible()).toBe(true);
    await screenshot(page, "console-key-prompt");

    await page.getByLabel("API key", { exact: true }).fill("not-the-key");
    await page.getByRole("button", { name: "Open the console" }).click();
    const refusal = page.getByRole("alert");
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/refused that key.*not valid/);
    expect(await page.getByRole("navigation", { name: "Pages" }).count()).toBe(0);
    await screenshot(page, "console-key-refused");

    await page.getByLabel("API key", { exact: true }).fill(KEY);
    await page.getByRole("button", { name: "Open the console" }).click();
    await page.getByRole("navigation", { name: "Pages" }).waitFor();
    await page.locator('[data-feed="open"]').waitFor();
  });

  test("forges a tool from the chat box, showing the forge's attempts beside the streamed answer", async () => {
    await nav("Chat");
    await page.getByLabel("Message").fill(QUESTION);
    await page.getByRole("button", { name: "Send" }).click();
    // While the turn runs, the forge's run appears beside the chat and fills in.
    await page.locator(".forge-side .run").waitFor(SLOW);
    await page.locator('.forge-side li.attempt[data-attempt="1"][data-outcome="failed"]').waitFor(SLOW);
    await page.locator('.exchange[data-done="true"]').waitFor(SLOW);
    expect(await page.locator(".exchange .answer").textContent()).toContain(ANSWER);
    await page.locator('.forge-side [data-run-status="installed"]').waitFor(SLOW);
    expect(await page.locator(".forge-side li.attempt").count()).toBe(2);
    // The team's work streamed above the answer mentions the new tool (the wording is the chat stream's).
    expect((await page.locator(".exchange details.steps li").allTextContents()).some((step) => step.includes("vowel_count"))).toBe(true);
    await screenshot(page, "console-chat");
  });

  test("shows the run as a timeline: the audit's finding on the line it points at, the sandbox output, the diff", async () => {
    await nav("Forge runs");
    await page.locator("ol.runs li a").first().click();
    const first = page.locator('main li.attempt[data-attempt="1"]');
    await first.waitFor();
    expect(await first.getAttribute("data-stage")).toBe("audit");
    expect(await first.locator(".verdict").textContent()).toBe("refused by the audit");

    const flagged = first.locator(".code .line.flagged");
    expect(await flagged.count()).toBe(1);
    expect(await flagged.getAttribute("data-line")).toBe(String(REFUSED_LINE));
    expect(await flagged.locator("code").textContent()).toContain("process.env.VERBOSE");
    const finding = first.locator(".code .finding");
    expect(await finding.getAttribute("data-rule")).toBe("process");
    expect(await finding.getAttribute("data-finding-line")).toBe(String(REFUSED_LINE));
    // The finding sits right under its line.
    expect(await first.locator(`.code .line[data-line="${REFUSED_LINE}"] + .finding`).count()).toBe(1);
    const fedBack = await first.locator("pre.failure").textContent();
    expect(fedBack).toContain(`line ${REFUSED_LINE}`);
    expect(fedBack).toContain("process");
    expect(await first.locator("ol.stages li.failed").textContent()).toMatch(/^audit/);

    const second = page.locator('main li.attempt[data-attempt="2"]');
    expect(await second.getAttribute("data-outcome")).toBe("passed");
    expect(await second.locator(".sandbox").textContent()).toMatch(/exit code 0/);
    expect(await second.locator("ol.stages li.ok").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^sandbox ✓ \d/), expect.stringMatching(/^model ✓ \d/)]),
    );
    const removed = second.locator("details.changes .line.removed");
    expect(await removed.count()).toBe(1);
    expect(await removed.textContent()).toContain("process.env.VERBOSE");
    expect(await second.locator("details.changes .line.added").count()).toBe(0);

    await first.locator(".code").scrollIntoViewIfNeeded();
    await screenshot(page, "console-forge-timeline");
  });

  test("rolls a tool back to a chosen version after a confirmation", async () => {
    // A second version, as a later forge would install it.
    const compiled = "export default function vowel_count() { return 0; }";
    await served.server.runtime.store.installToolVersion({
      toolName: "vowel_count",
      description: "Counts the vowels in a text (v2).",
      schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
      source: PASSING_MODULE.replace("Counts the vowels in a text.", "Counts the vowels in a text (v2)."),
      compiled,
      sha256: sha256Hex(compiled),
      forgeRunId: null,
    });
    await nav("Library");
    await page.getByRole("link", { name: "vowel_count" }).click();
    await page.locator("#tool-heading").waitFor();
    expect(await page.locator("#tool-heading").textContent()).toContain("active v2");
    await page.getByText("1 call, 0 failures").waitFor();
    expect(await page.locator('.code[aria-label^="Source of vowel_count v2"] .line.marked code').textContent()).toMatch(
      /export function test/,
    );

    await page.getByRole("button", { name: "Make v1 active…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/Roll vowel_count back to v1\?/);
    await screenshot(page, "console-library-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(((await (await api("/tools/vowel_count")).json()) as { active_version: number }).active_version).toBe(2);

    await page.getByRole("button", { name: "Make v1 active…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Make v1 active" }).click();
    await page.getByText("vowel_count is now at v1 (was v2)").waitFor();
    expect(((await (await api("/tools/vowel_count")).json()) as { active_version: number }).active_version).toBe(1);
    await page.locator("#tool-heading", { hasText: "active v1" }).waitFor();
    await screenshot(page, "console-library");
  });

  test("shows the event stream live: turns, tool calls, forges, refusals, and an event as it happens", async () => {
    await nav("Live");
    const live = page.locator("ol.live");
    await live.waitFor();
    for (const type of [
      "turn.started",
      "turn.finished",
      "forge.started",
      "forge.attempt",
      "tool.created",
      "tool.called",
      "tool.rolled_back",
    ]) {
      expect(await live.locator(`li[data-type="${type}"]`).count(), type).toBeGreaterThan(0);
    }
    expect(await live.locator("li.cat-refusal").first().textContent()).toMatch(/refused by the audit/);

    const before = await live.locator('li[data-type="tool.rolled_back"]').count();
    expect((await api("/tools/vowel_count/rollback", { method: "POST", body: JSON.stringify({ version: 2 }) })).status).toBe(200);
    await live.locator('li[data-type="tool.rolled_back"]').nth(before).waitFor();
    expect(await live.locator("li").first().textContent()).toMatch(/vowel_count rolled back to v2/);
    await screenshot(page, "console-live");
  });

  test("sends a message to an object from the page and sees it done, with the method it learned", async () => {
    await nav("Objects");
    await page.getByRole("link", { name: "counter", exact: true }).click();
    await page.getByLabel("Method").fill("count");
    await page.getByLabel("Arguments (JSON array)").fill("[]");
    await page.getByRole("button", { name: "Send to counter" }).click();
    const row = page.locator("table.messages tr[data-message]").first();
    await row.waitFor();
    await page.locator('table.messages tr[data-status="done"]').waitFor(SLOW);
    expect(await row.locator("td.result").textContent()).toBe("1");
    await page.locator('table.methods tr[data-method="count"]').waitFor();
    await page.locator("pre.attributes", { hasText: '"count": 1' }).waitFor();
    await screenshot(page, "console-objects");
  });

  test("kept the key out of every URL and asked nothing of any other origin", async () => {
    expect(requested.length).toBeGreaterThan(10);
    for (const url of requested) {
      expect(url.startsWith(`${served.url}/`) || url === served.url, url).toBe(true);
      expect(url, url).not.toContain(KEY);
    }
    expect(requested.some((url) => new URL(url).pathname === "/events")).toBe(true);
    expect(served.logs.join("\n")).not.toContain(KEY);
    expect(pageErrors).toEqual([]);
  });
});
