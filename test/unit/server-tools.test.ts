/**
 * GET /tools, GET /tools/:name and POST /tools/:name/rollback against a real (temporary) store:
 * versions, schema and source are shown; rollback moves the active version and announces it on the
 * bus; unknown tools and bad versions are refused with messages that name them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus, type PublishedEvent } from "../../src/events.js";
import { sha256Hex } from "../../src/store/index.js";
import { tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./server-harness.js";

let handle: TempStore;
let served: ServedApp;
let url: string;
const bus = new EventBus();
const published: PublishedEvent[] = [];

function version(n: number) {
  const compiled = `export default function word_count({ text }) { return text.split(/\\s+/).length + ${n - 1}; }`;
  return {
    toolName: "word_count",
    description: `Counts words (v${n}).`,
    schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    source: `// v${n}\n${compiled}`,
    compiled,
    sha256: sha256Hex(compiled),
    forgeRunId: null,
  };
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
    expect(body).toEqual({ name: "word_count", active_version: 2, previous_version: 3 });
    expect((await json("/tools/word_count")).body.active_version).toBe(2);
    expect(published.at(-1)).toMatchObject({ type: "tool.rolled_back", name: "word_count", version: 2 });
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
