/**
 * Living objects end to end: the scripted Ollama (real ChatOllama over a socket) writes the methods,
 * the real forge audits them and validates them in the real gVisor sandbox, every method call is a
 * sandbox job, and the store is a real SQLite file in a temp dir. HTTP goes through the server's own
 * app with the objects router mounted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config.js";
import { RevisionConflictError } from "../../src/errors.js";
import { METHOD_EXAMPLE } from "../../src/forge/prompt.js";
import { createObjectSpace, type ObjectSpace } from "../../src/objects/index.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createApp } from "../../src/server/app.js";
import { createLogger } from "../../src/service/logger.js";
import { createObjectsRouter } from "../../src/server/objects-router.js";
import type { Store } from "../../src/store/index.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest } from "../support/scripted-ollama.js";
import { methodVersion } from "../support/store.js";

const FORGE_MODEL = "forge-coder:test";

/** What the scripted model answers for each selector the forge asks for (besides greet). */
const METHODS: Record<string, string> = {
  count: COUNT_MODULE(),
  list_files: `import assert from "node:assert/strict";
import { readdirSync } from "node:fs";

export const name = "list_files";
export const description = "Lists the files in a directory.";

export default function list_files(self: object, dir: string): string[] {
  return readdirSync(dir);
}

export function test(): void {
  assert.ok(Array.isArray(list_files({}, "/")));
}`,
};

function COUNT_MODULE(): string {
  return `import assert from "node:assert/strict";

export const name = "count";
export const description = "Adds one to self.count and answers the new count.";

export default function count(self) {
  self.count = (self.count ?? 0) + 1;
  return self.count;
}

export function test() {
  const self = {};
  assert.equal(count(self), 1);
  assert.equal(count(self), 2);
}`;
}

function respond(request: OllamaChatRequest): string {
  const text = request.messages.map((m) => m.content).join("\n");
  const selector = /Write the method "(\w+)"/.exec(text)?.[1] ?? "";
  // greet: the forge's own method example (greets by name, counts self.greetings).
  if (selector === "greet") return METHOD_EXAMPLE;
  const module = METHODS[selector];
  return module ? "```typescript\n" + module + "\n```" : "I cannot write that.";
}

interface Harness {
  config: Config;
  runtime: Runtime;
  objects: ObjectSpace;
  close(): Promise<void>;
}

describeSandbox("living objects", (sandbox) => {
  let ollama: ScriptedOllama;
  const roots: string[] = [];

  beforeAll(async () => {
    ollama = await ScriptedOllama.start({ respond });
  });
  afterAll(async () => {
    await ollama.close();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  function dataRoot(): string {
    const root = mkdtempSync(path.join(os.tmpdir(), "toolforge-objects-"));
    roots.push(root);
    return root;
  }

  async function open(root: string, store?: Store): Promise<Harness> {
    const config = loadConfig({
      OLLAMA_HOST: ollama.url,
      FORGE_MODEL,
      FORGE_MAX_ATTEMPTS: "2",
      DATA_DIR: path.join(root, "data"),
      DYNAMIC_TOOLS_DIR: path.join(root, "dynamic_tools"),
    });
    const runtime = await createRuntime(config, { sandbox: sandbox(), ...(store ? { store } : {}) });
    await runtime.store.ensureObject({ id: "nil" });
    await runtime.store.ensureObject({ id: "system" });
    const objects = createObjectSpace(runtime);
    return {
      config,
      runtime,
      objects,
      close: async () => {
        await objects.settled();
        await runtime.close();
      },
    };
  }

  const modelRequests = () => ollama.chatRequests.length;

  it("learns a missing method, then reuses it and keeps it and the state across a restart", async () => {
    const root = dataRoot();
    const first = await open(root);
    const before = modelRequests();
    const learned = await first.objects.send("system", "greet", ["Ada"]);
    expect(learned).toMatchObject({ result: "Hello, Ada!", learned: true });
    expect(modelRequests()).toBe(before + 1);
    await first.close();

    const second = await open(root);
    try {
      const system = await second.objects.get<{ greet(who: string): Promise<string> }>("UvmObjects/system");
      await expect(system.greet("Bob")).resolves.toBe("Hello, Bob!");
      expect(modelRequests()).toBe(before + 1);
      expect(await system.$attributes()).toEqual({ greetings: 2 });
      const message = await second.runtime.store.getMessage(learned.messageId);
      expect(message).toMatchObject({ status: "done", result: "Hello, Ada!", learned: true });
      expect(message!.finishedAt).not.toBeNull();
    } finally {
      await second.close();
    }
  });

  describe("over HTTP", () => {
    let harness: Harness;
    let server: Server;
    let base: string;

    beforeAll(async () => {
      harness = await open(dataRoot());
      const app = createApp({
        chat: { run: async () => Promise.reject(new Error("chat is not part of these tests")) },
        store: harness.runtime.store,
        bus: harness.runtime.bus,
        health: async () => ({ status: "ok", checks: {} }),
        logger: createLogger("silent"),
        ollamaHost: harness.config.ollamaHost,
        routers: [createObjectsRouter({ ...harness.runtime, objects: harness.objects })],
      });
      server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await harness.close();
    });

    async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    }

    /** POSTs a message (202 at once) and polls it until it is done or failed. */
    async function send(target: string, method: string, args: unknown[] = []): Promise<any> {
      const posted = await call("POST", "/message", { target_object_id: target, method_name: method, args });
      expect(posted).toMatchObject({ status: 202, body: { status: "pending" } });
      for (;;) {
        const polled = await call("GET", `/message/${posted.body.message_id}`);
        expect(polled.status).toBe(200);
        if (polled.body.status === "done" || polled.body.status === "failed") return polled.body;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    it("walks through teach_yourself_to_greet, then greet, then greet through a prototype", async () => {
      const taught = await send("system", "teach_yourself_to_greet");
      expect(taught).toMatchObject({ status: "done", learned: true, result: { learned: "greet", version: 1 } });
      const greeted = await send("system", "greet", ["Ada"]);
      expect(greeted).toMatchObject({ status: "done", learned: false, result: "Hello, Ada!" });

      const system = await call("GET", "/objects/system");
      expect(system.body.methods).toEqual([expect.objectContaining({ selector: "greet", version: 1, versions: [1] })]);
      expect(system.body.attributes).toEqual({ greetings: 1 });

      const created = await call("POST", "/objects", { id: "ada", attributes: { name: "Ada" }, prototypes: ["system"] });
      expect(created).toMatchObject({ status: 201, body: { id: "ada", prototypes: ["system"] } });
      const inherited = await send("UvmObjects/ada", "greet", ["Bob"]);
      expect(inherited).toMatchObject({ status: "done", learned: false, result: "Hello, Bob!" });
      expect((await call("GET", "/objects/ada")).body).toMatchObject({ attributes: { name: "Ada", greetings: 1 }, methods: [] });
      expect((await call("GET", "/objects/UvmObjects/system")).body.attributes).toEqual({ greetings: 1 });
    });

    it("refuses a method that imports node:fs, saying so and where in words a person reads, and never installs it", async () => {
      const before = modelRequests();
      const refused = await send("system", "list_files", ["/"]);
      expect(refused.status).toBe("failed");
      expect(refused.error).toContain("was refused by the audit: it imports node:fs (line 2)");
      // What the model is told to do next is not for the person reading the message.
      expect(refused.error).not.toMatch(/compute everything else|Rewrite it/);
      expect(modelRequests()).toBe(before + 2); // FORGE_MAX_ATTEMPTS=2, the model insisted both times
      const system = await call("GET", "/objects/system");
      expect(system.body.methods.map((m: { selector: string }) => m.selector)).not.toContain("list_files");
    });

    it("accepts a message to an unknown object and fails it with no such object", async () => {
      const failed = await send("nobody", "greet", ["Ada"]);
      expect(failed).toMatchObject({ status: "failed", learned: false });
      expect(failed.error).toContain('no such object "nobody"');
    });

    it("answers 400 naming the field, 404 for unknown ids, 409 for an existing object", async () => {
      const missing = await call("POST", "/message", { method_name: "greet" });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toContain("target_object_id");
      const badArgs = await call("POST", "/message", { target_object_id: "system", method_name: "greet", args: "Ada" });
      expect(badArgs.status).toBe(400);
      expect(badArgs.body.error.message).toContain("args");
      const badSelector = await call("POST", "/message", { target_object_id: "system", method_name: "not a name" });
      expect(badSelector.status).toBe(400);
      expect(badSelector.body.error.message).toContain("method_name");
      expect((await call("GET", "/message/no-such-message")).status).toBe(404);
      expect((await call("GET", "/objects/nobody")).status).toBe(404);
      const exists = await call("POST", "/objects", { id: "system" });
      expect(exists.status).toBe(409);
      const noPrototype = await call("POST", "/objects", { id: "orphan", prototypes: ["ghost"] });
      expect(noPrototype.status).toBe(400);
      expect(noPrototype.body.error.message).toContain('"ghost"');
    });
  });

  // Every send is a sandbox job (about 2 s each on a cold gVisor container here): generous time limits.
  it("applies 10 concurrent sends of a counting method in order, learning it once", { timeout: 300_000 }, async () => {
    const harness = await open(dataRoot());
    try {
      const before = modelRequests();
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => harness.objects.send("system", "count")));
      expect(outcomes.map((o) => o.result)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(outcomes.filter((o) => o.learned)).toHaveLength(1);
      expect(modelRequests()).toBe(before + 1);
      expect((await harness.runtime.store.getObject("system"))!.attributes).toEqual({ count: 10 });
    } finally {
      await harness.close();
    }
  });

  it("loses no update when two object spaces on one store file send 12 counts between them", { timeout: 300_000 }, async () => {
    const root = dataRoot();
    const a = await open(root);
    const b = await open(root);
    const conflicts = { count: 0 };
    const spaceA = createObjectSpace({ ...a.runtime, store: countConflicts(a.runtime.store, conflicts) });
    const spaceB = createObjectSpace({ ...b.runtime, store: countConflicts(b.runtime.store, conflicts) });
    try {
      const code = COUNT_MODULE(); // plain JavaScript: compiled = source
      await a.runtime.store.installMethodVersion(
        methodVersion("system", "count", undefined, { compiled: code, description: "Adds one to self.count." }),
      );
      const sends = Array.from({ length: 6 }, () => [spaceA.send("system", "count"), spaceB.send("system", "count")]).flat();
      const outcomes = await Promise.all(sends);
      expect(outcomes.map((o) => o.result as number).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect((await a.runtime.store.getObject("system"))!.attributes).toEqual({ count: 12 });
      expect(conflicts.count).toBeGreaterThan(0);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

/** The store, counting the RevisionConflictErrors its attribute updates raise. */
function countConflicts(store: Store, counter: { count: number }): Store {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === "updateAttributes") {
        return async (...args: Parameters<Store["updateAttributes"]>) => {
          try {
            return await target.updateAttributes(...args);
          } catch (error) {
            if (error instanceof RevisionConflictError) counter.count++;
            throw error;
          }
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
