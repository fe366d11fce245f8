/**
 * The web console in headless Chromium against the real server: the scripted Ollama model (real
 * ChatOllama over a socket), the real forge and audit, the real gVisor sandbox, a real SQLite store,
 * and the API key set. A person's path through it: refused without the key (and with a wrong one),
 * let in with the right one; forges a tool from the chat box and watches the forge beside the
 * answer, each tool call with its result; reads the run's attempts (the module once, then what
 * changed, the findings and the failing assertion under their lines, the sandbox's report in
 * words); sees a refused forge's reason in words everywhere (the chat's steps, the run, Live, the
 * note the personas get); stops an answer (button and Escape: the server aborts the turn), retries
 * one that failed, reloads and finds the conversation, opens a past one; tries a tool from a form,
 * compares two versions, rolls one back; follows a failed message to its forge run; uses every
 * page at 390 px without sideways scrolling; sees Ollama go down (the header says so, the work of
 * the failed turn stays) and come back; and the server go away (the pages say so, with what to do).
 * Screenshots of every page go to test/artifacts/; WRITE_DOC_IMAGES=1 also writes docs/images/.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { PublishedEvent } from "../../src/events.js";
import { browserProblem, docImage, launchBrowser, mustRunBrowser, screenshot } from "../support/browser.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";
import { reply } from "./forge-fixtures.js";
import { mentions, speakerOf, startTestServer, type TestServer } from "./test-server.js";

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

/** A forge that never passes: it imports the file system and child processes, then gets the sum wrong. */
const TRIBONACCI_IMPORTS = `import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
import assert from "node:assert/strict";

export const name = "tribonacci";
export const description = "The n-th tribonacci number.";
export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };

export default function tribonacci({ n }: { n: number }): number {
  const cached = JSON.parse(readFileSync("/tmp/tribonacci.json", "utf8") || String(execSync("echo {}")));
  return cached[n] ?? 0;
}

export function test(): void {
  assert.equal(tribonacci({ n: 10 }), 81);
}`;
const TRIBONACCI_WRONG = `import assert from "node:assert/strict";

export const name = "tribonacci";
export const description = "The n-th tribonacci number.";
export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };

export default function tribonacci({ n }: { n: number }): number {
  let [a, b, c] = [0, 0, 1];
  for (let i = 0; i < n; i++) [a, b, c] = [b, c, a + b + c + 1];
  return a;
}

export function test(): void {
  assert.equal(tribonacci({ n: 10 }), 81);
}`;
const ASSERT_LINE = TRIBONACCI_WRONG.split("\n").findIndex((line) => line.includes("assert.equal(")) + 1;
const IMPORTS_REFUSED = "it imports node:fs (line 1) and node:child_process (line 2)";

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

const LIST_FILES_METHOD = `import { readdirSync } from "node:fs";

export const name = "list_files";
export const description = "Lists the files in a directory.";

export default function list_files(self: object, dir: string): string[] {
  return readdirSync(dir);
}`;

const STORY = "Once upon a time a forge learned to write its own tools, ".repeat(6);

/** What the scripted model is asked about now: each test sets it before it asks. */
let scenario: "vowels" | "tribonacci" | "story" | "flaky" | "quick" | "long" | "ollama-down" = "vowels";
let flakyFails = true;
const forgeRequests = { vowel_count: 0, tribonacci: 0 };
let ollama: ScriptedOllama;

const lastUserText = (request: OllamaChatRequest) => String(request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "");

async function script(request: OllamaChatRequest): Promise<ScriptedReply | string> {
  const speaker = speakerOf(request);
  if (speaker === "forge") {
    if (mentions(request, "list_files")) return reply(LIST_FILES_METHOD);
    if (mentions(request, "living object")) return reply(COUNT_METHOD);
    if (mentions(request, "tribonacci")) {
      forgeRequests.tribonacci += 1;
      return reply(forgeRequests.tribonacci === 2 ? TRIBONACCI_WRONG : TRIBONACCI_IMPORTS);
    }
    forgeRequests.vowel_count += 1;
    return reply(forgeRequests.vowel_count === 1 ? REFUSED_MODULE : PASSING_MODULE, "Here is the tool.");
  }
  const answered = request.messages.at(-1)?.role === "tool";
  const bound = request.tools?.some((t) => t.function.name === "vowel_count") ?? false;
  if (scenario === "vowels" || scenario === "ollama-down") {
    const text = scenario === "vowels" ? "forge console" : "ollama down";
    if (speaker === "brick") {
      if (!bound)
        return "I cannot count vowels exactly.\nTOOL_REQUIRED: vowel_count: counts the vowels in a text. Input: {text: string}. Output: number.";
      if (!answered) return { toolCalls: [{ name: "vowel_count", arguments: { text } }] };
      return `vowel_count says ${request.messages.at(-1)?.content}.`;
    }
    if (scenario === "ollama-down" && speaker === "robin") {
      // Ollama dies while ROBIN waits for it: the connection drops, and nothing answers any more.
      await ollama.close();
      return "never sent";
    }
    if (speaker === "alfred") return { content: ANSWER, chunkSize: 3, chunkDelayMs: 20 };
  }
  if (scenario === "tribonacci" && speaker === "brick") {
    if (/Forging the requested tool failed/.test(lastUserText(request))) return "The tribonacci tool could not be made.";
    return "TOOL_REQUIRED: tribonacci: the n-th tribonacci number (T0 = 0, T1 = 0, T2 = 1). Input: {n: integer}. Output: number.";
  }
  if (scenario === "tribonacci" && speaker === "alfred") return "I could not compute it: the tool could not be made.";
  if (scenario === "story" && speaker === "alfred") return { content: STORY, chunkSize: 2, chunkDelayMs: 100 };
  if (scenario === "flaky" && speaker === "alfred") {
    // The stream breaks off (the model runner crashed), on the retry too, until the test says otherwise.
    if (flakyFails) return { content: "I was about to", interrupt: { afterChars: 4 } };
    return "A steady answer, on the second try.";
  }
  if (scenario === "quick" && speaker === "alfred") return "Quick answer.";
  if (scenario === "long" && speaker === "alfred") return { content: `${STORY}\n\n`.repeat(12), chunkSize: 400 };
  return `${speaker.toUpperCase()} notes: nothing to add.`;
}

const runBrowser = browserProblem === null || mustRunBrowser;

describeSandbox("the console in a real browser", (sandbox) => {
  let served: TestServer;
  let restarted: TestServer | undefined;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const pageErrors: string[] = [];
  const events: PublishedEvent[] = [];

  beforeAll(async () => {
    if (!runBrowser) return;
    ollama = await ScriptedOllama.start({ respond: script });
    served = await startTestServer({ ollama, sandbox: sandbox(), env: { TOOLFORGE_API_KEY: KEY } });
    served.server.runtime.bus.subscribe((event) => events.push(event));
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
    await restarted?.close();
    await ollama?.close();
  });

  function api(path: string, init: RequestInit = {}) {
    return fetch(`${served.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    });
  }

  const nav = (label: string) => page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: label, exact: true }).click();
  const exchange = (n: number) => page.locator("li.exchange").nth(n);
  const ask = async (text: string) => {
    await page.getByLabel("Message").fill(text);
    await page.getByRole("button", { name: "Send" }).click();
  };
  /** Nothing on the page is wider than the window: it never scrolls sideways. */
  const sidewaysOverflow = () =>
    page.evaluate<string | null>(`(() => {
      const root = document.documentElement;
      if (root.scrollWidth <= root.clientWidth) return null;
      const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1);
      return root.scrollWidth + " > " + root.clientWidth + ": " + wide.slice(0, 5).map((e) => e.tagName.toLowerCase() + "." + e.className).join(", ");
    })()`);

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
    await page.locator('[data-feed="open"][data-health="ok"]').waitFor();
    expect(await page.locator(".server-status").textContent()).toBe("live");
  });

  test("forges a tool from the chat box, showing the forge's attempts beside the streamed answer and the tool's result", async () => {
    scenario = "vowels";
    await nav("Chat");
    await ask(QUESTION);
    // While the turn runs, the forge's run appears beside the chat and fills in.
    await page.locator(".forge-side .run").waitFor(SLOW);
    await page.locator('.forge-side li.attempt[data-attempt="1"][data-outcome="failed"]').waitFor(SLOW);
    await page.locator('.exchange[data-status="done"]').waitFor(SLOW);
    expect(await page.locator(".exchange .answer").textContent()).toContain(ANSWER);
    await page.locator('.forge-side [data-run-status="installed"]').waitFor(SLOW);
    expect(await page.locator(".forge-side li.attempt").count()).toBe(2);
    const steps = await page.locator(".exchange details.steps li").allTextContents();
    // The refusal says what and where, not a headline that stops at its colon.
    expect(steps).toContain(`forge: attempt 1 failed at audit: it uses process (line ${REFUSED_LINE})`);
    // A tool call's step shows what it answered, not only that it finished.
    expect(
      steps.some((step) => /^vowel_count → 5 \(\d+ ms\)$/.test(step)),
      steps.join("\n"),
    ).toBe(true);
    await screenshot(page, "console-chat");
    await page.locator(".exchange details.steps > summary").click();
    await docImage(page, "console-chat");
  });

  test("shows the run as a timeline: the module once, then what changed; the finding on its line; the sandbox in words", async () => {
    await nav("Forge runs");
    await page.locator("ol.runs li a").first().click();
    const first = page.locator('main li.attempt[data-attempt="1"]');
    await first.waitFor();
    expect(await first.getAttribute("data-stage")).toBe("audit");
    expect(await first.locator(".verdict").textContent()).toBe("refused by the audit");
    expect(await first.locator("p.why").textContent()).toBe(`it uses process (line ${REFUSED_LINE})`);

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
    expect(await first.locator("ol.stages li.failed").textContent()).toMatch(/^audit/);

    const second = page.locator('main li.attempt[data-attempt="2"]');
    expect(await second.getAttribute("data-outcome")).toBe("passed");
    expect(await second.locator(".sandbox-verdict").textContent()).toMatch(/^Passed/);
    expect(await second.locator(".sandbox").textContent()).not.toMatch(/exit code/);
    // The runner's report in words, not JSON.
    await second.locator("details.report > summary").click();
    expect(await second.locator(".report-facts").textContent()).toMatch(/test\(\)ran to completion/);
    expect(await second.locator("ol.stages li.ok").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^sandbox ✓ \d/), expect.stringMatching(/^model ✓ \d/)]),
    );
    // The module is shown whole once: the second attempt shows what changed, the whole module folded away.
    expect(await second.locator(":scope > section .code").count()).toBe(0);
    expect(await second.locator("details.whole").getAttribute("open")).toBeNull();
    const removed = second.locator("details.changes .line.removed");
    expect(await removed.count()).toBe(1);
    expect(await removed.textContent()).toContain("process.env.VERBOSE");
    expect(await second.locator("details.changes .line.added").count()).toBe(0);

    await first.locator(".code").scrollIntoViewIfNeeded();
    await screenshot(page, "console-forge-timeline");
  });

  test("says why a forge was refused in words, in the chat's steps, the run, Live and the note the personas get", async () => {
    scenario = "tribonacci";
    await nav("Chat");
    await ask("What is the 10th tribonacci number?");
    await page.locator('.exchange[data-status="done"]').nth(1).waitFor(SLOW);
    const steps = await exchange(1).locator("details.steps li").allTextContents();
    expect(steps).toContain(`forge: attempt 1 failed at audit: ${IMPORTS_REFUSED}`);
    expect(steps).toContain(`forge: attempt 2 failed at sandbox: test() failed: AssertionError: 177 !== 81 (line ${ASSERT_LINE})`);
    expect(steps).toContain(
      `forge: forging failed: no module passed in 3 attempts; attempt 3 was refused by the audit: ${IMPORTS_REFUSED}`,
    );
    expect(steps.join("\n")).not.toMatch(/constructs:|:\s*$/m);
    // What ALFRED was told, so that the answer can say why.
    const alfred = ollama.chatRequests.filter((r) => speakerOf(r) === "alfred" && mentions(r, "tribonacci"));
    expect(alfred.some((r) => mentions(r, IMPORTS_REFUSED))).toBe(true);

    await page.locator('.forge-side [data-run-status="failed"]').waitFor();
    await nav("Forge runs");
    await page.locator('ol.runs li a:has-text("tribonacci")').first().click();
    const run = page.locator("main article.run");
    await run.locator(".why-stopped").waitFor();
    expect(await run.locator(".why-stopped").textContent()).toBe(
      `no module passed in 3 attempts; attempt 3 was refused by the audit: ${IMPORTS_REFUSED}`,
    );
    const failedTest = run.locator('li.attempt[data-attempt="2"]');
    // Not "exit code 0" beside a failure: what failed, and where.
    expect(await failedTest.locator(".sandbox-verdict").textContent()).toBe(
      `test() failed: AssertionError: 177 !== 81 (line ${ASSERT_LINE})`,
    );
    expect(await failedTest.locator(".sandbox").textContent()).not.toMatch(/exit code 0/);
    // The failing assertion is marked under its line, as findings are.
    const mark = failedTest.locator(`details.changes [data-new-line="${ASSERT_LINE}"] + .failure-note`);
    expect(await mark.getAttribute("data-failure-line")).toBe(String(ASSERT_LINE));
    expect(await mark.textContent()).toContain("177 !== 81");
    await failedTest.locator("details.report > summary").click();
    const report = await failedTest.locator(".report-facts").textContent();
    expect(report).toContain("running test()");
    expect(report).toContain("did not complete");
    expect(report).toMatch(/AssertionError: Expected values to be strictly equal:\s+177 !== 81/);
    await failedTest.locator(".sandbox").scrollIntoViewIfNeeded();
    await screenshot(page, "console-forge-refused");
    await failedTest.locator("details.changes").scrollIntoViewIfNeeded();
    await page.evaluate("scrollBy(0, -120)");
    await docImage(page, "forge-timeline");
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "console-forge-refused-dark");
    await page.emulateMedia({ colorScheme: "light" });
  });

  test("shows the event stream live: turns, tool calls with their results, forges, refusals, and an event as it happens", async () => {
    await nav("Live");
    const live = page.locator("ol.live");
    await live.waitFor();
    for (const type of ["turn.started", "turn.finished", "forge.started", "forge.attempt", "forge.failed", "tool.created", "tool.called"]) {
      expect(await live.locator(`li[data-type="${type}"]`).count(), type).toBeGreaterThan(0);
    }
    expect(await live.locator("li.cat-refusal").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining(`attempt 1 refused by the audit: ${IMPORTS_REFUSED}`)]),
    );
    expect(await live.locator('li[data-type="tool.called"]').first().textContent()).toMatch(/vowel_count → 5 \(\d+ ms\)/);

    // Ollama cut a prompt: filed under "model", in words, not JSON.
    served.server.runtime.bus.publish({
      type: "model.context_truncated",
      persona: "brick",
      model: "brick:test",
      numCtx: 4096,
      estimatedTokens: 9000,
      promptEvalCount: 4096,
    });
    const truncated = live.locator('li[data-type="model.context_truncated"]');
    await truncated.waitFor();
    expect(await truncated.locator(".badge").textContent()).toBe("model");
    expect(await truncated.locator(".event-text").textContent()).toMatch(
      /^BRICK's prompt was cut: Ollama read 4,096 of about 9,000 tokens/,
    );

    const before = await live.locator('li[data-type="tool.called"]').count();
    const called = await api("/tools/vowel_count/call", { method: "POST", body: JSON.stringify({ args: { text: "aeiou" } }) });
    expect(await called.json()).toMatchObject({ ok: true, result: 5 });
    await live.locator('li[data-type="tool.called"]').nth(before).waitFor();
    expect(await live.locator("li").first().textContent()).toMatch(/vowel_count → 5/);
    await screenshot(page, "console-live");
  });

  test("stops an answer with the Stop button (after a visit to another page) and with Escape; the server aborts the turn", async () => {
    scenario = "story";
    await nav("Chat");
    const before = events.filter((e) => e.type === "turn.failed").length;
    await ask("Tell me a long story.");
    const story = exchange(2);
    await story.locator(".answer", { hasText: "Once upon a time" }).waitFor(SLOW);
    // Another page meanwhile: the answer goes on being written, and Stop still reaches it.
    await nav("Live");
    await nav("Chat");
    const sofar = (await story.locator(".answer").textContent())!.length;
    await expect.poll(async () => (await story.locator(".answer").textContent())!.length).toBeGreaterThan(sofar);
    const stopAt = Date.now();
    await page.getByRole("button", { name: "Stop" }).click();
    await page.locator('.exchange[data-status="stopped"]').first().waitFor();
    expect(await story.locator(".ended").textContent()).toMatch(/Stopped/);
    // The server saw the client go and ended the turn, long before the story would have been told.
    await expect.poll(() => events.filter((e) => e.type === "turn.failed").length, { timeout: 10_000 }).toBe(before + 1);
    expect(Date.now() - stopAt).toBeLessThan(5_000);
    const failed = events.filter((e) => e.type === "turn.failed").at(-1);
    expect(failed && "error" in failed ? failed.error : "").toMatch(/client closed the connection|abort/i);

    await ask("Tell me another long story.");
    await exchange(3).locator(".answer", { hasText: "Once upon a time" }).waitFor(SLOW);
    await page.keyboard.press("Escape");
    await exchange(3).and(page.locator('[data-status="stopped"]')).waitFor();
    await expect.poll(() => events.filter((e) => e.type === "turn.failed").length, { timeout: 10_000 }).toBe(before + 2);
    await page.getByRole("button", { name: "Send" }).waitFor();
  });

  test("retries a turn that failed, keeping the conversation", async () => {
    scenario = "flaky";
    flakyFails = true;
    await ask("A question for a flaky model?");
    const flaky = exchange(4);
    await flaky.and(page.locator('[data-status="failed"]')).waitFor(SLOW);
    expect(await flaky.locator('[role="alert"]').textContent()).toMatch(/interrupted|ended before/i);
    flakyFails = false;
    await flaky.getByRole("button", { name: "Retry" }).click();
    await flaky.and(page.locator('[data-status="done"]')).waitFor(SLOW);
    expect(await flaky.locator(".answer").textContent()).toContain("A steady answer, on the second try.");
    expect(await flaky.locator('[role="alert"]').count()).toBe(0);
    expect(await page.locator("li.exchange").count()).toBe(5);
  });

  test("keeps the conversation across a reload, lists past conversations and opens one", async () => {
    const thread = await page.locator("section.chat").getAttribute("data-thread");
    await page.reload();
    await page.locator("li.exchange").first().waitFor();
    expect(await page.locator("section.chat").getAttribute("data-thread")).toBe(thread);
    expect(await exchange(0).locator(".question").textContent()).toContain(QUESTION);
    expect(await exchange(0).locator(".answer").textContent()).toContain(ANSWER);
    expect(await page.locator("li.exchange .answer", { hasText: "A steady answer, on the second try." }).count()).toBe(1);

    scenario = "quick";
    await page.getByRole("button", { name: "New conversation" }).click();
    expect(await page.locator("li.exchange").count()).toBe(0);
    await ask("A quick question?");
    await exchange(0).and(page.locator('[data-status="done"]')).waitFor(SLOW);
    const threads = page.locator("section.threads");
    await threads.locator(`li[data-thread="${thread}"]`).waitFor();
    expect(await threads.locator("li").count()).toBe(2);
    await threads.getByRole("button", { name: QUESTION }).click();
    await exchange(0).locator(".question", { hasText: QUESTION }).waitFor();
    expect(await page.locator("section.chat").getAttribute("data-thread")).toBe(thread);
    await screenshot(page, "console-chat-threads");
  });

  test("tries a tool from a form made from its schema, and the call is listed with its arguments and result", async () => {
    await nav("Library");
    await page.getByRole("link", { name: "vowel_count" }).click();
    const form = page.locator("form.try");
    await form.getByLabel("text").fill("try it out");
    await form.getByRole("button", { name: "Call vowel_count" }).click();
    await form.locator('.try-outcome[data-outcome="ok"]').waitFor(SLOW);
    expect(await form.locator(".try-result").textContent()).toBe("3");
    const call = page.locator("table.calls tbody tr").first();
    await call.locator("td", { hasText: '{"text":"try it out"}' }).waitFor();
    expect(await call.locator('td[data-label="Result"]').textContent()).toBe("3");
    await screenshot(page, "console-library-try");
  });

  test("compares two installed versions, and rolls a tool back to a chosen version after a confirmation", async () => {
    // A second version, added by hand.
    await served.server.runtime.store.installToolVersion(
      toolVersion("vowel_count", "return 0;", {
        description: "Counts the vowels in a text (v2).",
        schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
        source: PASSING_MODULE.replace("Counts the vowels in a text.", "Counts the vowels in a text (v2)."),
        origin: "added",
      }),
    );
    // Installed behind the server's back (no event): open the tool again.
    await nav("Forge runs");
    await nav("Library");
    await page.getByRole("link", { name: "vowel_count" }).click();
    await page.locator("#tool-heading", { hasText: "active v2" }).waitFor();
    await page.getByText(/^3 calls, 0 failures$/).waitFor();
    expect(await page.locator('.code[aria-label^="Source of vowel_count v2"] .line.marked code').textContent()).toMatch(
      /export function test/,
    );
    expect(await page.locator('tr[data-version="2"] td[data-label="Origin"]').textContent()).toBe("added");
    expect(await page.locator('tr[data-version="1"] td[data-label="Origin"] a').textContent()).toBe("forged (the run)");

    const compare = page.locator("section.compare");
    expect(await compare.locator(".line.removed").textContent()).toContain("Counts the vowels in a text.");
    expect(await compare.locator(".line.added").textContent()).toContain("Counts the vowels in a text (v2).");

    await page.getByRole("button", { name: "Roll back to v1…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/Roll vowel_count back to v1\?/);
    await screenshot(page, "console-library-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(((await (await api("/tools/vowel_count")).json()) as { active_version: number }).active_version).toBe(2);

    await page.getByRole("button", { name: "Roll back to v1…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Roll back to v1" }).click();
    await page.getByText("vowel_count is now at v1 (was v2)").waitFor();
    expect(((await (await api("/tools/vowel_count")).json()) as { active_version: number }).active_version).toBe(1);
    await page.locator("#tool-heading", { hasText: "active v1" }).waitFor();
    // The chosen version's row is marked whole, its actions included.
    const row = page.locator("table.versions tr.current");
    const [rowBox, actionsBox] = [await row.boundingBox(), await row.locator("td.actions").boundingBox()];
    expect(actionsBox!.y).toBe(rowBox!.y);
    expect(actionsBox!.height).toBe(rowBox!.height);
    await screenshot(page, "console-library");
  });

  test("sends a message to an object and sees it done, with the method it learned linked to its source and forge run", async () => {
    await nav("Objects");
    await page.getByRole("link", { name: "counter", exact: true }).click();
    await page.getByLabel("Method").fill("count");
    await page.getByLabel("Arguments (JSON array)").fill("[]");
    await page.getByRole("button", { name: "Send to counter" }).click();
    const row = page.locator("table.messages tr[data-message]").first();
    await row.waitFor();
    await page.locator('table.messages tr[data-status="done"]').waitFor(SLOW);
    expect(await row.locator("td.result code").textContent()).toBe("1");
    const method = page.locator('table.methods tr[data-method="count"]');
    await method.waitFor();
    await page.locator("pre.attributes", { hasText: '"count": 1' }).waitFor();
    expect(await method.getByRole("link", { name: "the forge run" }).getAttribute("href")).toMatch(/^#\/forge\/[0-9a-f-]{36}$/);
    await method.getByRole("button", { name: "Source" }).click();
    expect(await page.locator('.code[aria-label="Source of count v1"]').textContent()).toContain("self.count = (self.count ?? 0) + 1;");
    await screenshot(page, "console-objects");
  });

  test("says in words why an object could not learn a method, and links the message to its forge run", async () => {
    await page.getByLabel("Method").fill("list_files");
    await page.getByLabel("Arguments (JSON array)").fill('["/"]');
    await page.getByRole("button", { name: "Send to counter" }).click();
    const failed = page.locator('table.messages tr[data-status="failed"]');
    await failed.waitFor(SLOW);
    const text = await failed.locator("td.result").textContent();
    expect(text).toContain("could not learn");
    expect(text).toContain("was refused by the audit: it imports node:fs (line 1)");
    // Instructions meant for the model are not shown to people.
    expect(text).not.toMatch(/Rewrite it|compute everything else|Do not ask/);
    await failed.getByRole("link", { name: "why: the forge run" }).click();
    await page.locator("main article.run .why-stopped").waitFor();
    expect(await page.locator("main article.run h2").textContent()).toContain("counter#list_files");
  });

  test("fits a 390 px phone: compact navigation, a run opens at the top, no page scrolls sideways, the message box in reach", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav("Library");
    await page.locator("table.list").first().waitFor();
    const header = await page.locator("header.top").boundingBox();
    expect(header!.height).toBeLessThan(100);

    await page.getByRole("link", { name: "vowel_count" }).click();
    await page.locator("#tool-heading").waitFor();
    expect(await sidewaysOverflow()).toBeNull();
    await screenshot(page, "console-narrow-library");

    await nav("Forge runs");
    await page.locator("ol.runs li a").nth(2).click();
    const heading = page.locator("main article.run h2");
    await heading.waitFor();
    expect((await heading.boundingBox())!.y).toBeLessThan(200);
    expect(await sidewaysOverflow()).toBeNull();
    await screenshot(page, "console-narrow-forge");

    // Durations never wrap ("132 ms" on one line).
    const wrapped = `[...document.querySelectorAll(".nowrap, .ms")]
      .filter((e) => new Set([...e.getClientRects()].map((r) => Math.round(r.top))).size > 1)
      .map((e) => e.textContent)`;
    expect(await page.evaluate<string[]>(wrapped)).toEqual([]);

    await nav("Live");
    await page.locator("ol.live li").first().waitFor();
    expect(await sidewaysOverflow()).toBeNull();
    // Each event's kind and its text never overlap.
    const overlapping = await page.evaluate<number>(`[...document.querySelectorAll("li.event")].filter((row) => {
      const badge = row.querySelector(".badge").getBoundingClientRect();
      const text = row.querySelector(".event-text").getBoundingClientRect();
      return text.left < badge.right && text.top < badge.bottom && badge.top < text.bottom;
    }).length`);
    expect(overlapping).toBe(0);

    await nav("Objects");
    await page.getByRole("link", { name: "counter", exact: true }).click();
    await page.locator("table.messages tr").first().waitFor();
    expect(await sidewaysOverflow()).toBeNull();
    await screenshot(page, "console-narrow-objects");

    await nav("Chat");
    await page.locator("section.threads li button", { hasText: QUESTION }).click();
    await page.locator("li.exchange").nth(3).waitFor();
    scenario = "long";
    await ask("Tell me everything, at length.");
    await page.locator('li.exchange[data-status="done"]').nth(6).waitFor(SLOW);
    expect(await sidewaysOverflow()).toBeNull();
    // Long answers, far taller than the window: the message box is still in it, wherever the conversation is scrolled.
    expect((await page.locator("section.chat").boundingBox())!.height).toBeGreaterThan(3 * 844);
    for (const y of [0, 1500]) {
      await page.evaluate(`scrollTo(0, ${y})`);
      const box = await page.getByLabel("Message").boundingBox();
      expect(box!.y, `scrolled to ${y}`).toBeGreaterThanOrEqual(0);
      expect(box!.y + box!.height, `scrolled to ${y}`).toBeLessThanOrEqual(844);
    }
    await screenshot(page, "console-narrow-chat");
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  test("shows Ollama down in the header with the fix, and keeps the work a failed turn did beside its error", async () => {
    scenario = "ollama-down";
    await nav("Chat");
    await page.getByRole("button", { name: "New conversation" }).click();
    await ask("How many vowels are in 'ollama down'?");
    const turn = exchange(0);
    await turn.and(page.locator('[data-status="failed"]')).waitFor(SLOW);
    expect(await turn.locator('[role="alert"]').textContent()).toMatch(/Ollama/);
    // The tool call that ran before Ollama died is still shown, with its result.
    expect(await turn.locator("details.steps").getAttribute("open")).not.toBeNull();
    expect(await turn.locator("details.steps li").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^vowel_count → 4 \(/)]),
    );
    expect(await turn.locator(".ended").textContent()).toMatch(/work done before the error/);

    const degraded = page.locator('details.server-status[data-health="degraded"]');
    await degraded.waitFor({ timeout: 40_000 });
    expect(await degraded.locator("summary").textContent()).toMatch(/degraded: Ollama/);
    expect(await page.locator(".server-status", { hasText: /^live$/ }).count()).toBe(0);
    await degraded.locator("summary").click();
    expect(await degraded.locator('li[data-check="ollama"]').textContent()).toMatch(/not reachable.*Fix: start it with `ollama serve`/);
    await screenshot(page, "console-ollama-down");

    await ollama.restart();
    await page.locator('.server-status[data-health="ok"][data-feed="open"]').waitFor({ timeout: 40_000 });
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

  test("says in words that the server is not answering, and what to do, when it goes away, and picks up when it is back", async () => {
    await served.close();
    await nav("Library");
    const banner = page.locator("p.banner");
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toMatch(/The ToolForge server at http:\/\/127\.0\.0\.1:\d+ is not answering\. Start it again/);
    await page.locator(".list-pane .error-text").waitFor();
    expect(await page.locator(".list-pane .error-text").textContent()).toMatch(/is not answering\. Start it again/);
    expect(await page.locator("header .server-status").textContent()).toBe("server not answering");
    expect(await page.locator("body").textContent()).not.toContain("Failed to fetch");
    await screenshot(page, "console-server-down");

    // Started again (here: afresh, on the same address): the page picks up by itself.
    restarted = await startTestServer({ ollama, env: { TOOLFORGE_API_KEY: KEY, PORT: new URL(served.url).port } });
    await page.locator(".list-pane", { hasText: "No tools yet" }).waitFor({ timeout: 30_000 });
    expect(await page.locator("p.banner").count()).toBe(0);
  });
});
