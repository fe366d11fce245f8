/**
 * The console's server side against a real (temporary) store: the page and its assets are served
 * without the key and with a strict Content-Security-Policy; the read routes it adds (forge runs,
 * tool calls, objects, messages, conversations) need the key, validate their input strictly and answer 400/404
 * with reasons; tool calls and finished messages seen on the bus are kept in the store's event log;
 * every chat turn is published on the bus.
 */
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus, type PublishedEvent } from "../../src/events.js";
import { sha256Hex } from "../../src/store/index.js";
import type { ForgeAttempt, ForgeRun } from "../../src/store/types.js";
import { LIST_TEXT_CHARS } from "../../src/server/routes/forge-runs.js";
import { tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

const KEY = "console-test-key";
const auth = { authorization: `Bearer ${KEY}` };

let handle: TempStore;
let served: ServedApp;
const bus = new EventBus();
const published: PublishedEvent[] = [];
let failedRun: ForgeRun;
let installedRun: ForgeRun;
let failChat = false;

const MODULE = `import assert from "node:assert/strict";
export const name = "shout";
export const description = "Shouts.";
export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };
export default function shout({ text }: { text: string }): string {
  return process.env.X + text.toUpperCase();
}
export function test(): void {
  assert.equal(shout({ text: "a" }), "A");
}`;

function attempt(number: number, overrides: Partial<ForgeAttempt>): ForgeAttempt {
  return {
    number,
    reply: "```typescript\n" + MODULE + "\n```",
    code: MODULE,
    stage: "install",
    outcome: "passed",
    failure: null,
    findings: [],
    sandbox: null,
    durations: { model: 12.5, extract: 0.2, transpile: 3, audit: 1.5 },
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

beforeAll(async () => {
  handle = await tempStore();
  const { store } = handle;
  bus.subscribe((event) => published.push(event));

  failedRun = await store.createForgeRun({ kind: "tool", spec: "a tool that fails", target: null });
  await store.addForgeAttempt(
    failedRun.id,
    attempt(1, {
      stage: "audit",
      outcome: "failed",
      failure: "process at line 6, column 10: the process object",
      findings: [{ rule: "process", message: "the process object", line: 6, column: 10 }],
    }),
  );
  failedRun = await store.finishForgeRun(failedRun.id, { status: "failed", error: "gave up after 1 attempt" });

  installedRun = await store.createForgeRun({ kind: "tool", spec: "shout a text", target: "shout" });
  await store.addForgeAttempt(
    installedRun.id,
    attempt(1, {
      sandbox: { exitCode: 0, timedOut: false, oomKilled: false, stdout: "ok\n", stderr: "", report: { ok: true } },
      durations: { model: 10, extract: 0.1, transpile: 2, audit: 1, sandbox: 900, install: 4 },
    }),
  );
  const compiled = "export default function shout({ text }) { return text.toUpperCase(); }";
  await store.installToolVersion({
    toolName: "shout",
    description: "Shouts.",
    schema: { type: "object", properties: { text: { type: "string" } } },
    source: MODULE,
    compiled,
    sha256: sha256Hex(compiled),
    forgeRunId: installedRun.id,
  });
  installedRun = await store.finishForgeRun(installedRun.id, { status: "installed", result: { name: "shout", version: 1 } });

  await store.createObject({ id: "counter", attributes: { count: 2 } });
  await store.createObject({ id: "child", prototypes: ["counter"] });

  served = await serveApp({
    store,
    bus,
    apiKey: KEY,
    chat: {
      run: async (request, onProgress) => {
        onProgress?.({ type: "notice", text: "BRICK stopped after 4 tool rounds" });
        if (failChat) throw new Error("the model went away");
        return { threadId: request.threadId, reply: "fine", toolsUsed: ["shout"], toolsCreated: [] };
      },
    },
  });
});

afterAll(async () => {
  await served.close();
  await handle.cleanup();
});

async function get(path: string, headers: Record<string, string> = auth) {
  const response = await fetch(`${served.url}${path}`, { headers });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

describe("the console page", () => {
  it("is served at / without the key, with a Content-Security-Policy that allows only this server", async () => {
    const page = await get("/", {});
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="/console/app.js">');
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves its script and style, and answers a repeated request with 304", async () => {
    const script = await get("/console/app.js", {});
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(script.body.length).toBeGreaterThan(1000);
    const style = await get("/console/app.css", {});
    expect(style.status).toBe(200);
    expect(style.headers.get("content-type")).toMatch(/^text\/css/);
    const again = await fetch(`${served.url}/console/app.js`, { headers: { "if-none-match": script.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("keeps every data route behind the key", async () => {
    for (const path of [
      "/forge/runs",
      `/forge/runs/${installedRun.id}`,
      "/tools/shout/calls",
      "/objects",
      "/messages?target_object_id=counter",
      "/tools",
      "/events",
    ]) {
      const refused = await get(path, {});
      expect(refused.status, path).toBe(401);
      expect(refused.body.error.code, path).toBe("missing_api_key");
    }
    const wrong = await get("/forge/runs", { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_api_key");
  });
});

describe("GET /forge/runs", () => {
  it("lists runs newest first with their status, attempt count and last stage", async () => {
    const { status, body } = await get("/forge/runs");
    expect(status).toBe(200);
    expect(body.runs.map((r: { id: string }) => r.id)).toEqual([installedRun.id, failedRun.id]);
    expect(body.runs[0]).toMatchObject({
      status: "installed",
      result: { name: "shout", version: 1 },
      attempt_count: 1,
      last_stage: { stage: "install", outcome: "passed" },
    });
    expect(body.runs[1]).toMatchObject({
      status: "failed",
      error: "gave up after 1 attempt",
      last_stage: { stage: "audit", outcome: "failed" },
    });
    expect(body.runs[1].attempts).toBeUndefined();
  });

  it("filters by status and limits the list", async () => {
    expect((await get("/forge/runs?status=failed")).body.runs.map((r: { id: string }) => r.id)).toEqual([failedRun.id]);
    expect((await get("/forge/runs?limit=1")).body.runs).toHaveLength(1);
  });

  it("refuses an unknown status, a bad limit, a repeated or unknown parameter, naming it", async () => {
    const badStatus = await get("/forge/runs?status=done");
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error).toMatchObject({ code: "invalid_query", param: "status" });
    expect(badStatus.body.error.message).toMatch(/status: must be one of running, installed, failed, reused/);
    for (const limit of ["0", "201", "ten", "-1", "1.5"]) {
      const bad = await get(`/forge/runs?limit=${limit}`);
      expect(bad.status, limit).toBe(400);
      expect(bad.body.error.param, limit).toBe("limit");
    }
    const repeated = await get("/forge/runs?limit=1&limit=2");
    expect(repeated.status).toBe(400);
    const unknown = await get("/forge/runs?sort=asc");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/unknown parameter sort/);
  });

  // Last in this block: it adds a run the tests above do not expect.
  it("cuts a long spec and reason in the list and says which were cut; the run itself keeps them whole", async () => {
    const spec = `long_tool: ${"does many things. ".repeat(5_000)}`;
    const error = `gave up: ${"because. ".repeat(5_000)}`;
    let long = await handle.store.createForgeRun({ kind: "tool", spec, target: "long_tool" });
    long = await handle.store.finishForgeRun(long.id, { status: "failed", error });
    const listed = (await get("/forge/runs")).body.runs.find((r: { id: string }) => r.id === long.id);
    expect(listed.spec.length).toBeLessThanOrEqual(LIST_TEXT_CHARS);
    expect(listed.spec.startsWith("long_tool: does many things.")).toBe(true);
    expect(listed.error.length).toBeLessThanOrEqual(LIST_TEXT_CHARS);
    expect(listed.truncated).toEqual(["spec", "error"]);
    const whole = await get(`/forge/runs/${long.id}`);
    expect(whole.body).toMatchObject({ spec, error });
    expect(whole.body.truncated).toBeUndefined();
    const short = (await get("/forge/runs")).body.runs.find((r: { id: string }) => r.id === installedRun.id);
    expect(short.truncated).toEqual([]);
  });
});

describe("every route the console added", () => {
  const routes = () => [
    { path: "/forge/runs", given: "" },
    { path: `/forge/runs/${installedRun.id}`, given: "" },
    { path: "/tools/shout/calls", given: "" },
    { path: "/objects", given: "" },
    { path: "/messages", given: "target_object_id=counter&" },
    { path: "/threads", given: "" },
    { path: "/threads/some-thread", given: "" },
  ];

  it("refuses an unknown query parameter with a 400 naming it", async () => {
    for (const { path, given } of routes()) {
      const answer = await get(`${path}?${given}foo=1`);
      expect({ path, status: answer.status, code: answer.body.error?.code, param: answer.body.error?.param }).toEqual({
        path,
        status: 400,
        code: "invalid_query",
        param: "foo",
      });
      expect(answer.body.error.message, path).toMatch(/unknown parameter foo/);
    }
    const post = await fetch(`${served.url}/tools/shout/call?foo=1`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ args: { text: "a" } }),
    });
    expect(post.status).toBe(400);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe("invalid_query");
  });

  it("refuses a repeated query parameter with a 400", async () => {
    for (const { path, given } of routes()) {
      const repeated =
        path === "/objects" || path.includes("/forge/runs/") || path.startsWith("/threads/") ? "foo=1&foo=2" : "limit=1&limit=2";
      const answer = await get(`${path}?${given}${repeated}`);
      expect({ path, status: answer.status, code: answer.body.error?.code }).toEqual({ path, status: 400, code: "invalid_query" });
    }
  });
});

describe("GET /forge/runs/:id", () => {
  it("shows every attempt: module, findings with line and column, failure fed back, sandbox output and stage times", async () => {
    const failed = await get(`/forge/runs/${failedRun.id}`);
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ id: failedRun.id, status: "failed", spec: "a tool that fails" });
    expect(failed.body.attempts).toHaveLength(1);
    expect(failed.body.attempts[0]).toMatchObject({
      number: 1,
      stage: "audit",
      outcome: "failed",
      failure: "process at line 6, column 10: the process object",
      summary: { text: "it uses the process object (line 6)", at: null },
      findings: [{ rule: "process", message: "the process object", line: 6, column: 10 }],
      code: MODULE,
      durations_ms: { model: 12.5, audit: 1.5 },
      sandbox: null,
    });
    const installed = await get(`/forge/runs/${installedRun.id}`);
    expect(installed.body.attempts[0].sandbox).toEqual({
      exit_code: 0,
      timed_out: false,
      oom_killed: false,
      stdout: "ok\n",
      stderr: "",
      report: { ok: true },
    });
    expect(typeof installed.body.duration_ms).toBe("number");
  });

  it("answers 400 for an id that is not a run id and 404 for a run that does not exist", async () => {
    const bad = await get("/forge/runs/not-a-run");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/forge run id "not-a-run" is not valid/);
    const missing = await get("/forge/runs/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/no forge run "00000000-0000-4000-8000-000000000000"/);
  });
});

describe("GET /tools/:name/calls", () => {
  it("counts the calls and failures the bus reported, newest first, with the version, arguments and result of each", async () => {
    bus.publish({ type: "tool.called", name: "shout", version: 1, durationMs: 41, outcome: "ok", args: '{"text":"hi"}', result: "HI" });
    // The event's version is recorded, whichever version is active when it is written.
    bus.publish({
      type: "tool.called",
      name: "shout",
      version: 2,
      durationMs: 5000,
      outcome: "error",
      error: "timeout: shout did not finish in 5000 ms",
      args: '{"text":"slow"}',
    });
    bus.publish({ type: "tool.called", name: "other", version: 1, durationMs: 1, outcome: "ok", args: "{}", result: "1" });
    await expect.poll(async () => (await get("/tools/shout/calls")).body.calls).toBe(2);
    const { status, body } = await get("/tools/shout/calls");
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: "shout", calls: 2, failures: 1 });
    expect(body.recent).toEqual([
      expect.objectContaining({
        outcome: "error",
        duration_ms: 5000,
        error: "timeout: shout did not finish in 5000 ms",
        version: 2,
        args: '{"text":"slow"}',
        result: null,
      }),
      expect.objectContaining({ outcome: "ok", duration_ms: 41, error: null, version: 1, args: '{"text":"hi"}', result: "HI" }),
    ]);
    const kept = await handle.store.listEvents({ limit: 1000 });
    expect(kept.filter((e) => e.type === "tool.called").map((e) => e.payload.name)).toEqual(["shout", "shout", "other"]);
    expect((await get("/tools/shout/calls?limit=1")).body.recent).toHaveLength(1);
  });

  it("keeps each call's outside requests with it: host, method, status, size, time, or why it was refused", async () => {
    const requests = [
      { host: "api.frankfurter.app", method: "GET", status: 200, bytes: 112, durationMs: 84, refused: null },
      { host: "evil.example", method: "POST", status: null, bytes: 0, durationMs: 0, refused: "evil.example is not granted to this tool" },
    ];
    const before = (await get("/tools/shout/calls")).body.calls as number;
    bus.publish({ type: "tool.called", name: "shout", version: 1, durationMs: 3, outcome: "ok", args: "{}", result: "1" });
    bus.publish({ type: "tool.called", name: "shout", version: 1, durationMs: 90, outcome: "ok", args: "{}", result: "1.08", requests });
    await expect.poll(async () => (await get("/tools/shout/calls")).body.calls).toBe(before + 2);
    const { body } = await get("/tools/shout/calls");
    expect(body.recent[0].requests).toEqual([
      { host: "api.frankfurter.app", method: "GET", status: 200, bytes: 112, duration_ms: 84, refused: null },
      { host: "evil.example", method: "POST", status: null, bytes: 0, duration_ms: 0, refused: "evil.example is not granted to this tool" },
    ]);
    expect(body.recent[1].requests).toEqual([]);
  });

  it("answers 404 for a tool that does not exist and 400 for a name that cannot be one", async () => {
    const missing = await get("/tools/ghost/calls");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/no tool named "ghost"/);
    const bad = await get("/tools/Not-A-Tool/calls");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/tool name "Not-A-Tool" is not valid/);
    const long = await get(`/tools/${"x".repeat(5000)}/calls`);
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/^tool name "x{39}…" \(5000 characters; a name has at most 64\) is not valid/);
    expect((await get("/tools/shout/calls?limit=101")).status).toBe(400);
  });
});

describe("GET /threads and GET /threads/:id", () => {
  async function putConversation(threadId: string, messages: BaseMessage[]) {
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages } };
    await handle.store
      .checkpointer()
      .put({ configurable: { thread_id: threadId, checkpoint_ns: "" } }, checkpoint, { source: "loop", step: 1, parents: {} }, {});
  }

  beforeAll(async () => {
    await putConversation("older-thread", [
      new HumanMessage("An older question?"),
      new AIMessage({ content: "Old answer.", name: "alfred" }),
    ]);
    await putConversation("console-thread", [
      new HumanMessage("How many vowels are in 'forge'?"),
      new AIMessage({ content: "TOOL_REQUIRED: vowel_count", name: "brick" }),
      new HumanMessage({ content: "The tool vowel_count was forged…", name: "tool_forge" }),
      new AIMessage({ content: "<think>count them</think>There are 2 vowels.", name: "alfred" }),
      new HumanMessage("And in 'console'?"),
      new AIMessage({ content: "ROBIN notes.", name: "robin" }),
    ]);
  });

  it("lists the conversations, the latest first, each with its first question as the title and its number of turns", async () => {
    const { status, body } = await get("/threads");
    expect(status).toBe(200);
    expect(body.threads.map((t: { id: string }) => t.id)).toEqual(["console-thread", "older-thread"]);
    expect(body.threads[0]).toMatchObject({ id: "console-thread", title: "How many vowels are in 'forge'?", turns: 2 });
    expect(Number.isNaN(Date.parse(body.threads[0].updated_at))).toBe(false);
    expect((await get("/threads?limit=1")).body.threads).toHaveLength(1);
    expect((await get("/threads?limit=0")).status).toBe(400);
  });

  it("gives a conversation's questions and answers in order, without the team's notes or thinking, a turn without an answer left open", async () => {
    const { status, body } = await get("/threads/console-thread");
    expect(status).toBe(200);
    expect(body.messages).toEqual([
      { role: "user", content: "How many vowels are in 'forge'?" },
      { role: "assistant", content: "There are 2 vowels." },
      { role: "user", content: "And in 'console'?" },
    ]);
  });

  it("answers 404 for a conversation that does not exist, 400 for an id that cannot be one, and 401 without the key", async () => {
    const missing = await get("/threads/never-was");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/no conversation "never-was"/);
    expect((await get("/threads/has%20space")).status).toBe(400);
    expect((await get("/threads", {})).status).toBe(401);
  });
});

describe("GET /objects and GET /messages", () => {
  it("lists the objects with their prototypes, attributes and methods", async () => {
    const { status, body } = await get("/objects");
    expect(status).toBe(200);
    const byId = Object.fromEntries(body.objects.map((o: { id: string }) => [o.id, o]));
    expect(byId.counter).toMatchObject({ prototypes: [], attributes: { count: 2 }, methods: [] });
    expect(byId.child).toMatchObject({ prototypes: ["counter"] });
    expect((await get("/objects?x=1")).status).toBe(400);
  });

  it("lists an object's finished messages newest first, with status, result or error, and the forge run a message started", async () => {
    const { store } = handle;
    const first = await store.createMessage({ targetId: "counter", selector: "count", args: [], kwargs: {} });
    await store.updateMessage(first.id, { status: "done", result: 3, finishedAt: new Date().toISOString() });
    bus.publish({ type: "message.finished", messageId: first.id, status: "done" });
    const second = await store.createMessage({ targetId: "UvmObjects/counter", selector: "explode", args: [1], kwargs: {} });
    await store.updateMessage(second.id, { status: "failed", error: "the forge refused explode", finishedAt: new Date().toISOString() });
    bus.publish({ type: "message.finished", messageId: second.id, status: "failed", forgeRunId: failedRun.id });

    await expect.poll(async () => (await get("/messages?target_object_id=counter")).body.messages?.length).toBe(2);
    const { body } = await get("/messages?target_object_id=counter");
    expect(body.messages[0]).toMatchObject({
      message_id: second.id,
      method_name: "explode",
      status: "failed",
      error: "the forge refused explode",
      forge_run_id: failedRun.id,
    });
    expect(body.messages[1]).toMatchObject({ message_id: first.id, method_name: "count", status: "done", result: 3, forge_run_id: null });
    expect((await get("/messages?target_object_id=UvmObjects/counter&limit=1")).body.messages).toHaveLength(1);
    expect((await get("/messages?target_object_id=child")).body.messages).toEqual([]);
  });

  it("refuses a missing or invalid object id", async () => {
    const missing = await get("/messages");
    expect(missing.status).toBe(400);
    expect(missing.body.error.param).toBe("target_object_id");
    expect((await get("/messages?target_object_id=a%20b")).status).toBe(400);
  });
});

describe("chat turns on the bus", () => {
  async function chat(message: string) {
    return fetch(`${served.url}/chat`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ message, thread_id: "turns-1" }),
    });
  }

  it("publishes the start, the notices and the end of each turn", async () => {
    published.length = 0;
    expect((await chat("count the words")).status).toBe(200);
    expect(published.map((e) => e.type)).toEqual(["turn.started", "turn.notice", "turn.finished"]);
    expect(published[0]).toMatchObject({ threadId: "turns-1", message: "count the words" });
    expect(published[1]).toMatchObject({ text: "BRICK stopped after 4 tool rounds" });
    expect(published[2]).toMatchObject({ threadId: "turns-1", toolsUsed: ["shout"], toolsCreated: [] });
  });

  it("publishes a failed turn with its error", async () => {
    published.length = 0;
    failChat = true;
    try {
      expect((await chat("again")).status).toBe(500);
    } finally {
      failChat = false;
    }
    expect(published.at(-1)).toMatchObject({ type: "turn.failed", threadId: "turns-1", error: "the model went away" });
  });
});
