/**
 * One definition of a method selector (src/contract.ts), checked the same way at the HTTP door
 * (POST /message through the objects router), by the store (checkSelector, which the object space
 * uses for every message) and by the forge (forgeMethod refuses before any model call). A message
 * selector the door accepts is one the forge will learn; one the door refuses, nothing else accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { methodSelectorOf, MAX_NAME_LENGTH, RESERVED_NAMES, TEACH_PREFIX } from "../../src/contract.js";
import { InvalidInputError } from "../../src/errors.js";
import { EventBus } from "../../src/events.js";
import { FORBIDDEN_PROPERTIES } from "../../src/admission/audit/names.js";
import { createForge } from "../../src/forge/forge.js";
import type { ObjectSpace } from "../../src/objects/index.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { createObjectsRouter } from "../../src/server/objects-router.js";
import { checkSelector } from "../../src/store/ids.js";
import type { ForgeRun, MessageRecord, Store } from "../../src/store/types.js";
import type { Admission } from "../../src/admission/index.js";
import { tempStore, type TempStore } from "../support/store.js";
import { serveApp, type ServedApp } from "./served-app.js";

const LONGEST = `a${"b".repeat(MAX_NAME_LENGTH - 1)}`;

const GOOD = ["greet", "teach_yourself_to_greet", "word_count2", LONGEST, `${TEACH_PREFIX}${LONGEST}`];
const BAD = [
  "toString",
  "__proto__",
  "camelCase",
  "constructor",
  "prototype",
  `${LONGEST}c`, // one character too long
  `${TEACH_PREFIX}${LONGEST}c`,
  `${TEACH_PREFIX}constructor`,
  TEACH_PREFIX, // teaches nothing
  `${TEACH_PREFIX}${TEACH_PREFIX}greet`,
  "greet me",
  "1st",
  "",
];

/** The door: POST /message with this selector, answered by the objects router of the app. */
async function door(served: ServedApp, selector: string): Promise<number> {
  const response = await fetch(`${served.url}/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ target_object_id: "system", method_name: selector }),
  });
  await response.arrayBuffer();
  return response.status;
}

function storeAccepts(selector: string): boolean {
  try {
    checkSelector(selector);
    return true;
  } catch (error) {
    if (error instanceof InvalidInputError) return false;
    throw error;
  }
}

/** A forge whose store already knows every method, so an accepted selector ends as "reused" without a model. */
function forgeWithKnownMethods() {
  const store = {
    lookupMethod: async () => ({ method: { version: 1 } }),
    createForgeRun: async (input: { kind: ForgeRun["kind"]; spec: string; target: string | null }) => ({ id: `run-${input.target}` }),
    finishForgeRun: async () => undefined,
  } as unknown as Store;
  return createForge({
    store,
    admission: {} as Admission,
    bus: new EventBus(),
    model: () => {
      throw new Error("no model call is expected");
    },
    config: { ollamaHost: "http://127.0.0.1:9", models: { forge: "none" } as never, forgeMaxAttempts: 1 },
  });
}

async function forgeAccepts(selector: string): Promise<boolean> {
  try {
    const outcome = await forgeWithKnownMethods().forgeMethod({ objectId: "system", selector, receiver: {} });
    return outcome.status === "reused";
  } catch (error) {
    if (error instanceof InvalidInputError) return false;
    throw error;
  }
}

describe("selectors: the door, the store and the forge agree", () => {
  let stored: TempStore;
  let served: ServedApp;
  const posted: string[] = [];

  beforeAll(async () => {
    stored = await tempStore();
    const objects = {
      post: async (_target: string, selector: string) => {
        posted.push(selector);
        return { id: `m-${posted.length}` } as MessageRecord;
      },
    } as unknown as ObjectSpace;
    served = await serveApp({
      store: stored.store,
      routers: [createObjectsRouter({ store: stored.store, objects, sandbox: {} as Sandbox, forge: {} as never, bus: new EventBus() })],
    });
  });
  afterAll(async () => {
    await served.close();
    await stored.cleanup();
  });

  it.each(GOOD)("accepts %j everywhere (the forge learns the method it names)", async (selector) => {
    expect(await door(served, selector)).toBe(202);
    expect(storeAccepts(selector)).toBe(true);
    expect(await forgeAccepts(methodSelectorOf(selector))).toBe(true);
  });

  it.each(BAD)("refuses %j everywhere", async (selector) => {
    expect(await door(served, selector)).toBe(400);
    expect(storeAccepts(selector)).toBe(false);
    expect(await forgeAccepts(selector)).toBe(false);
    expect(await forgeAccepts(methodSelectorOf(selector))).toBe(false);
  });

  it("says at the door what a selector must look like", async () => {
    const response = await fetch(`${served.url}/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ target_object_id: "system", method_name: "toString" }),
    });
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/method_name: is not a valid method name: use a method name \(snake_case/);
    expect(body.error.message).toContain("teach_yourself_to_");
  });

  it("never lets a teaching message install a method under the teach prefix", async () => {
    expect(await forgeAccepts("teach_yourself_to_greet")).toBe(false);
  });

  it("reserves every snake_case name the audit refuses as a string (a module named so could never pass)", () => {
    const refusedByAudit = [...FORBIDDEN_PROPERTIES.keys()].filter((key) => /^[a-z][a-z0-9_]*$/.test(key));
    expect(refusedByAudit.length).toBeGreaterThan(0);
    for (const name of refusedByAudit) expect(RESERVED_NAMES.has(name), name).toBe(true);
  });
});
