/**
 * The streams, with a stub chat service: /v1/chat/completions through the official OpenAI client
 * (progress in reasoning_content and the `toolforge` field, the answer in content, `[DONE]` at the
 * end, a failure after the stream opened as an error frame) and /events as server-sent events from
 * the bus.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus } from "../../src/events.js";
import type { ChatService } from "../../src/server/chat/types.js";
import { readSse } from "../../src/util/sse-reader.js";
import { tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

let handle: TempStore;
let served: ServedApp;
let url: string;
const bus = new EventBus();
const seenThreads: string[] = [];

const scriptedChat: ChatService = {
  async run(request, onProgress) {
    seenThreads.push(request.threadId);
    const question = request.messages.at(-1)?.content ?? "";
    if (question === "fail midway") {
      onProgress?.({ type: "tool_call", name: "word_count", args: {} });
      throw new Error("the sandbox exploded");
    }
    onProgress?.({ type: "persona", persona: "brick", text: "I need a tool." });
    onProgress?.({ type: "forge", stage: "installed", text: "installed word_count v1", name: "word_count", version: 1 });
    for (const word of ["The ", "answer ", "is ", `${question.length}.`]) onProgress?.({ type: "answer", text: word });
    return {
      threadId: request.threadId,
      reply: `The answer is ${question.length}.`,
      toolsUsed: ["word_count"],
      toolsCreated: ["word_count"],
    };
  },
};

beforeAll(async () => {
  handle = await tempStore();
  served = await serveApp({ chat: scriptedChat, store: handle.store, bus, heartbeatMs: 50 });
  url = served.url;
});

afterAll(async () => {
  await served.close();
  await handle.cleanup();
});

const client = () => new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });

describe("POST /v1/chat/completions, streaming", () => {
  it("streams progress as reasoning and the answer as content, ending with [DONE]", async () => {
    const stream = await client().chat.completions.create({
      model: "toolforge",
      stream: true,
      messages: [{ role: "user", content: "12345" }],
    });
    let content = "";
    const reasoning: string[] = [];
    const extras: unknown[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string };
      content += delta.content ?? "";
      if (delta.reasoning_content) reasoning.push(delta.reasoning_content);
      const extra = (chunk as unknown as { toolforge?: unknown }).toolforge;
      if (extra) extras.push(extra);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe("The answer is 5.");
    expect(reasoning).toEqual(["BRICK: I need a tool.\n", "forge: installed word_count v1\n"]);
    expect(extras.at(-1)).toMatchObject({ tools_used: ["word_count"], tools_created: ["word_count"] });
    expect(finish).toBe("stop");
  });

  it("ends the raw stream with data: [DONE]", async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "toolforge", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("reports a failure after the stream opened as an error frame the OpenAI client raises", async () => {
    const stream = await client().chat.completions.create({
      model: "toolforge",
      stream: true,
      messages: [{ role: "user", content: "fail midway" }],
    });
    const consume = async () => {
      for await (const _chunk of stream) {
        // progress arrives before the failure
      }
    };
    await expect(consume()).rejects.toThrow(/an unexpected error occurred \(error id [0-9a-f-]{36}\)/);
  });

  it("takes the thread from x-thread-id, else from `user`, else a fresh one per request", async () => {
    const body = JSON.stringify({ model: "toolforge", messages: [{ role: "user", content: "hi" }], user: "from-user" });
    const headers = { "content-type": "application/json" };
    const withHeader = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...headers, "x-thread-id": "from-header" },
      body,
    });
    expect(withHeader.headers.get("x-thread-id")).toBe("from-header");
    const withUser = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers, body });
    expect(withUser.headers.get("x-thread-id")).toBe("from-user");
    const fresh = JSON.stringify({ model: "toolforge", messages: [{ role: "user", content: "hi" }] });
    const a = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers, body: fresh });
    const b = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers, body: fresh });
    expect(a.headers.get("x-thread-id")).not.toBe(b.headers.get("x-thread-id"));
    expect(seenThreads).toEqual(
      expect.arrayContaining(["from-header", "from-user", a.headers.get("x-thread-id"), b.headers.get("x-thread-id")]),
    );
  });

  it("answers without streaming in the chat.completion shape, and the model list names toolforge", async () => {
    const completion = await client().chat.completions.create({ model: "toolforge", messages: [{ role: "user", content: "abc" }] });
    expect(completion.choices[0]?.message.content).toBe("The answer is 3.");
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(["toolforge"]);
  });
});

describe("GET /events", () => {
  it("delivers bus events as named server-sent events, after a greeting, with heartbeats", async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/events?types=tool.created`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes(": connected")) text += decoder.decode((await reader.read()).value);
    bus.publish({ type: "tool.called", name: "skipped", version: 1, durationMs: 1, outcome: "ok", args: "{}", result: "1" });
    bus.publish({ type: "tool.created", runId: "r1", name: "word_count", version: 1 });
    while (!text.includes("event: tool.created") || !text.includes(": heartbeat")) text += decoder.decode((await reader.read()).value);
    controller.abort();
    const events = [];
    const stream = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new TextEncoder().encode(text)), c.close()) });
    for await (const event of readSse(stream)) events.push(event);
    expect(events.map((e) => e.event)).toEqual(["tool.created"]);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ type: "tool.created", name: "word_count", version: 1 });
  });
});
