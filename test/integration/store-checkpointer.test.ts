/**
 * LangGraph's own checkpointer conformance suite (@langchain/langgraph-checkpoint-validation)
 * against the store's checkpointers: SQLite always; ArangoDB where a server exists (see
 * arangoTestServer). The package's specs use vitest's globals, so they are installed before it is
 * imported.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import * as vitest from "vitest";
import type { Store } from "../../src/store/index.js";
import { arangoTestServer, tempArangoStore, tempStore } from "../support/store.js";

Object.assign(globalThis, {
  describe: vitest.describe,
  it: vitest.it,
  test: vitest.test,
  expect: vitest.expect,
  beforeAll: vitest.beforeAll,
  afterAll: vitest.afterAll,
  beforeEach: vitest.beforeEach,
  afterEach: vitest.afterEach,
});
const { validate } = await import("@langchain/langgraph-checkpoint-validation");

/** Each checkpointer gets a store of its own; destroying the checkpointer closes and removes it. */
function initializer(name: string, open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>) {
  const cleanups = new Map<BaseCheckpointSaver, () => Promise<void>>();
  return {
    checkpointerName: name,
    async createCheckpointer() {
      const { store, cleanup } = await open();
      const saver = store.checkpointer();
      cleanups.set(saver, cleanup);
      return saver;
    },
    async destroyCheckpointer(saver: BaseCheckpointSaver) {
      await cleanups.get(saver)?.();
      cleanups.delete(saver);
    },
  };
}

// The SQLite store's checkpointer is LangGraph's SqliteSaver itself; under its package name the
// suite skips, with its stated reason, the one spec that SqliteSaver is known not to meet
// (storing only changed channel values).
validate(initializer("@langchain/langgraph-checkpoint-sqlite", tempStore));

const arango = await arangoTestServer();
if ("skip" in arango) {
  vitest.describe("toolforge-arango checkpointer validation", () => {
    vitest.it.skip(`skipped — ${arango.skip}`, () => {});
  });
} else {
  vitest.afterAll(arango.stop);
  validate(initializer("toolforge-arango", () => tempArangoStore(arango.server)));
}
