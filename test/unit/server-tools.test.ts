/**
 * GET /tools, GET /tools/:name, POST /tools/:name/rollback and POST /tools/:name/call against a
 * real (temporary) store: versions, schema and source are shown; rollback moves the active version
 * and announces it on the bus; a call runs through the registry (a built-in here: the sandbox's
 * part is the browser test's); unknown tools and bad input are refused with messages that name them.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus, type PublishedEvent } from "../../src/events.js";
import { createToolMirror } from "../../src/tools/mirror.js";
import { createToolRegistry } from "../../src/tools/registry.js";
import { PREVIEW_CHARS } from "../../src/util/text.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { tempStore, toolVersion, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

let handle: TempStore;
let served: ServedApp;
let url: string;
const bus = new EventBus();
const published: PublishedEvent[] = [];

function version(n: number) {
  const compiled = `export default function word_count({ text }) { return text.split(/\\s+/).length + ${n - 1}; }`;
  return toolVersion("word_count", undefined, {
    compiled,
    source: `// v${n}\n${compiled}`,
    description: `Counts words (v${n}).`,
    schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  });
}

beforeAll(async () => {
  handle = await tempStore();
  for (const n of [1, 2, 3]) await handle.store.installToolVersion(version(n));
  bus.subscribe((event) => published.push(event));
  served = await serveApp({ store: handle.store, bus });
  url = served.url;
});

afterAll(async () => {
  await served.close();
  await handle.cleanup();
});

async function json(path: string, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function rollback(name: string, body?: unknown) {
  return json(`/tools/${name}/rollback`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("the tools routes", () => {
  it("list every tool with its active version and version count", async () => {
    const { status, body } = await json("/tools");
    expect(status).toBe(200);
    expect(body.tools).toHaveLength(1);
    expect(body.tools[0]).toMatchObject({ name: "word_count", active_version: 3, version_count: 3, description: "Counts words (v3)." });
  });

  it("show one tool with its schema, its active source and every version", async () => {
    const { status, body } = await json("/tools/word_count");
    expect(status).toBe(200);
    expect(body.schema).toEqual(version(3).schema);
    expect(body.source).toBe(version(3).source);
    expect(body.versions.map((v: { version: number }) => v.version).sort()).toEqual([1, 2, 3]);
    expect(body.versions.find((v: { version: number }) => v.version === 1)).toMatchObject({
      status: "inactive",
      source: version(1).source,
    });
  });

  it("answer an unknown tool with a 404 naming it", async () => {
    const { status, body } = await json("/tools/no_such_tool");
    expect(status).toBe(404);
    expect(body.error.message).toMatch(/no tool named "no_such_tool"/);
  });

  it("roll back to the previous version without a body, and announce it on the bus", async () => {
    const { status, body } = await rollback("word_count");
    expect(status).toBe(200);
    expect(body).toEqual({ name: "word_count", active_version: 2, previous_version: 3, pinned_dependents: [] });
    expect((await json("/tools/word_count")).body.active_version).toBe(2);
    expect(published.at(-1)).toMatchObject({ type: "tool.rolled_back", name: "word_count", version: 2 });
  });

  it("show what a tool uses and what uses it, and warn on rollback of the tools pinned to the version being left", async () => {
    const active = (await json("/tools/word_count")).body.active_version as number;
    await handle.store.installToolVersion(
      toolVersion("word_stats", "return 1;", {
        description: "Counts words, through word_count.",
        uses: [{ name: "word_count", version: active }],
      }),
    );
    expect((await json("/tools/word_stats")).body).toMatchObject({ uses: [{ name: "word_count", version: active }], used_by: [] });
    expect((await json("/tools/word_count")).body.used_by).toEqual([{ name: "word_stats", version: 1, pinned: active }]);
    const { body } = await rollback("word_count", { version: 1 });
    expect(body.pinned_dependents).toEqual([{ name: "word_stats", version: 1, pinned: active }]);
    expect(body.warning).toBe(
      `word_stats v1 still uses word_count v${active} (pinned); \`toolforge tools update NAME\` moves a tool to v1 if its test passes`,
    );
    await rollback("word_count", { version: active });
  });

  it("roll back to a named version", async () => {
    const { status, body } = await rollback("word_count", { version: 1 });
    expect(status).toBe(200);
    expect(body.active_version).toBe(1);
  });

  it("refuse a version that is not a positive whole number, naming the field", async () => {
    const { status, body } = await rollback("word_count", { version: "two" });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/version: expected number, received string/);
  });

  it("refuse a version the tool does not have with a 404 that lists the versions", async () => {
    const { status, body } = await rollback("word_count", { version: 9 });
    expect(status).toBe(404);
    expect(body.error.message).toMatch(/no version 9.*existing versions: 1, 2, 3/);
  });

  it("refuse rolling back an unknown tool with a 404 naming it", async () => {
    const { status, body } = await rollback("ghost", {});
    expect(status).toBe(404);
    expect(body.error.message).toMatch(/no tool named "ghost"/);
  });
});

describe("POST /tools/:name/call", () => {
  let withLibrary: ServedApp;
  const calls: PublishedEvent[] = [];

  beforeAll(async () => {
    const libraryBus = new EventBus();
    libraryBus.subscribe((event) => event.type === "tool.called" && calls.push(event));
    const registry = await createToolRegistry({
      store: handle.store,
      sandbox: refusingSandbox,
      bus: libraryBus,
      mirror: createToolMirror(path.join(handle.dataDir, "dynamic_tools")),
      findTools: false,
      builtins: [
        {
          name: "repeat_text",
          description: "Repeats a text.",
          schema: { type: "object", properties: { text: { type: "string" }, times: { type: "integer" } }, required: ["text"] },
          run: async (args) => String(args.text).repeat(Number(args.times ?? 1)),
        },
      ],
    });
    withLibrary = await serveApp({
      store: handle.store,
      bus: libraryBus,
      library: {
        registry,
        bindLimit: 8,
        addTool: async () => ({ status: "refused", file: "x", stage: "audit", reason: "no", durationMs: 0 }),
        updateTool: async (name) => ({ status: "current", name, version: 1, uses: [] }),
      },
    });
  });

  afterAll(() => withLibrary?.close());

  const call = (base: string, name: string, body: unknown) =>
    fetch(`${base}/tools/${name}/call`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, any> }));

  it("runs the tool with the arguments given and answers its result, recording the call with its arguments and result", async () => {
    const { status, body } = await call(withLibrary.url, "repeat_text", { args: { text: "ab", times: 3 } });
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: "repeat_text", version: 1, ok: true, result: "ababab" });
    expect(typeof body.duration_ms).toBe("number");
    expect(calls.at(-1)).toMatchObject({ name: "repeat_text", outcome: "ok", args: '{"text":"ab","times":3}', result: "ababab" });
  });

  it("answers a long result whole, and records a preview of it cut to one short line", async () => {
    const { body } = await call(withLibrary.url, "repeat_text", { args: { text: "ab\n", times: 500 } });
    expect(body.result).toHaveLength(1500);
    const recorded = calls.at(-1);
    const preview = recorded?.type === "tool.called" ? (recorded.result ?? "") : "";
    expect(preview.length).toBeLessThanOrEqual(PREVIEW_CHARS);
    expect(preview).toMatch(/^ab ab ab .*…$/);
  });

  it("answers a failed call as an outcome that says what was wrong with the arguments", async () => {
    const { status, body } = await call(withLibrary.url, "repeat_text", { args: { times: 2 } });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: false, kind: "invalid_arguments" });
    expect(body.error).toMatch(/text/);
  });

  it("refuses arguments that are not an object, an unknown tool, and a server without a sandbox", async () => {
    expect((await call(withLibrary.url, "repeat_text", { args: [1] })).status).toBe(400);
    const unknown = await call(withLibrary.url, "ghost", { args: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/no tool named "ghost"/);
    const bare = await call(url, "word_count", { args: { text: "a b" } });
    expect(bare.status).toBe(503);
    expect(bare.body.error.code).toBe("calling_unavailable");
  });
});
