/**
 * Turns on one thread run one at a time; turns on different threads run at once
 * (serialisePerThread); the listen policy refuses a non-loopback address without an API key or with
 * a short one; the OpenAI `user` field becomes a thread key whatever it holds.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { serialisePerThread } from "../../src/server/chat/serialised.js";
import type { ChatService } from "../../src/server/chat/types.js";
import { assertSafeListen, isLoopback, MIN_PUBLIC_API_KEY_LENGTH } from "../../src/server/listen-policy.js";
import { threadKeyFromUser } from "../../src/server/threads.js";

/** A chat service whose turns log their start and end and finish only when their gate opens. */
function gatedChat() {
  const log: string[] = [];
  const gates = new Map<string, () => void>();
  const service: ChatService = {
    async run(request) {
      const name = request.messages[0]!.content;
      log.push(`${name}:start`);
      if (name.startsWith("wait")) await new Promise<void>((resolve) => gates.set(name, resolve));
      log.push(`${name}:end`);
      if (name === "fail") throw new Error("turn failed");
      return { threadId: request.threadId, reply: name, toolsUsed: [], toolsCreated: [] };
    },
  };
  const open = (name: string) => gates.get(name)?.();
  return { service, log, open };
}

const turn = (threadId: string, text: string) => ({ threadId, messages: [{ role: "user" as const, content: text }] });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("serialisePerThread", () => {
  it("runs turns of the same thread one after the other, in arrival order", async () => {
    const { service, log, open } = gatedChat();
    const chat = serialisePerThread(service);
    const a = chat.run(turn("t", "wait-a"));
    const b = chat.run(turn("t", "b"));
    await settle();
    expect(log).toEqual(["wait-a:start"]);
    open("wait-a");
    await Promise.all([a, b]);
    expect(log).toEqual(["wait-a:start", "wait-a:end", "b:start", "b:end"]);
  });

  it("runs turns of different threads concurrently", async () => {
    const { service, log, open } = gatedChat();
    const chat = serialisePerThread(service);
    const a = chat.run(turn("one", "wait-a"));
    await chat.run(turn("two", "b"));
    expect(log).toEqual(["wait-a:start", "b:start", "b:end"]);
    open("wait-a");
    await a;
  });

  it("runs the next turn after a failed one, and gives the failure to its caller", async () => {
    const { service } = gatedChat();
    const chat = serialisePerThread(service);
    const failing = chat.run(turn("t", "fail"));
    const next = chat.run(turn("t", "next"));
    await expect(failing).rejects.toThrow("turn failed");
    await expect(next).resolves.toMatchObject({ reply: "next" });
  });
});

describe("the listen policy", () => {
  it("treats 127.x, ::1 and localhost as loopback and other addresses as exposed", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) expect(isLoopback(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "example.com"]) expect(isLoopback(host)).toBe(false);
  });

  it("refuses 0.0.0.0 without a key, saying why and what to set", () => {
    expect(() => assertSafeListen("0.0.0.0", undefined)).toThrow(ConfigError);
    expect(() => assertSafeListen("0.0.0.0", undefined)).toThrow(/refusing to listen on 0\.0\.0\.0 without an API key.*TOOLFORGE_API_KEY/s);
  });

  it("allows 0.0.0.0 with a key of the minimum length, and loopback without one or with a short one", () => {
    expect(() => assertSafeListen("0.0.0.0", "k".repeat(MIN_PUBLIC_API_KEY_LENGTH))).not.toThrow();
    expect(() => assertSafeListen("127.0.0.1", undefined)).not.toThrow();
    expect(() => assertSafeListen("127.0.0.1", "x")).not.toThrow();
  });

  it("refuses 0.0.0.0 with a key shorter than the minimum, saying how long it must be", () => {
    expect(() => assertSafeListen("0.0.0.0", "x")).toThrow(ConfigError);
    expect(() => assertSafeListen("0.0.0.0", "x")).toThrow(/TOOLFORGE_API_KEY of 1 character: .* at least 16/s);
    expect(() => assertSafeListen("::", "k".repeat(MIN_PUBLIC_API_KEY_LENGTH - 1))).toThrow(/at least 16/);
  });
});

describe("the thread of an OpenAI user field", () => {
  it("keeps a user that is already a valid thread id as it is", () => {
    expect(threadKeyFromUser("ada-42")).toBe("ada-42");
  });

  it("derives the same safe key for the same display name every time, and different ones for different names", () => {
    const zoe = threadKeyFromUser("Zoë Müller 🦊");
    expect(zoe).toMatch(/^user-[0-9a-f]{32}$/);
    expect(threadKeyFromUser("Zoë Müller 🦊")).toBe(zoe);
    expect(threadKeyFromUser("Zoe Muller")).not.toBe(zoe);
    expect(threadKeyFromUser("x".repeat(500))).toMatch(/^user-[0-9a-f]{32}$/);
  });

  it("gives no thread for an empty or missing user", () => {
    expect(threadKeyFromUser("")).toBeUndefined();
    expect(threadKeyFromUser(undefined)).toBeUndefined();
  });
});
