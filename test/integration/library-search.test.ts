/**
 * Search over the library (Store.searchLibrary), run against the embedded SQLite store always and
 * against ArangoDB where a server exists (ARANGO_URL, as the store contract): what is indexed
 * (name, description, argument names and descriptions, the spec of the forge run, methods), that
 * installs, new versions and rollbacks keep the index right in the same transaction, and the
 * provenance of a version (forged, added, imported).
 */
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors.js";
import { openStore, type NewMethodVersion, type NewToolVersion, type Store } from "../../src/store/index.js";
import { arangoTestServer, methodVersion, tempArangoStore, tempStore, toolVersion, type TempStore } from "../support/store.js";

function tool(
  toolName: string,
  description: string,
  properties: Record<string, { type: string; description?: string }> = {},
  extra: Partial<NewToolVersion> = {},
): NewToolVersion {
  return toolVersion(toolName, `return ${JSON.stringify(description)};`, {
    description,
    schema: { type: "object", properties, required: Object.keys(properties) },
    ...extra,
  });
}

function method(objectId: string, selector: string, description: string): NewMethodVersion {
  return methodVersion(objectId, selector, "return self;", { description });
}

const names = async (store: Store, query: string, options?: Parameters<Store["searchLibrary"]>[1]) =>
  (await store.searchLibrary(query, options)).map((hit) => (hit.objectId ? `${hit.objectId}#${hit.name}` : hit.name));

async function seed(store: Store): Promise<void> {
  await store.installToolVersion(tool("word_count", "Counts the words in a text.", { text: { type: "string" } }));
  await store.installToolVersion(tool("reverse_string", "Reverses the characters of a string.", { text: { type: "string" } }));
  await store.installToolVersion(
    tool("celsius_to_fahrenheit", "Converts a temperature from degrees Celsius to Fahrenheit.", { celsius: { type: "number" } }),
  );
  await store.installToolVersion(tool("is_prime", "Tells whether a whole number is prime.", { n: { type: "integer" } }));
  await store.installToolVersion(tool("sort_numbers", "Sorts a list of numbers in ascending order.", { values: { type: "array" } }));
}

function searchContract(kind: string, open: () => Promise<TempStore>): void {
  describe(`library search: ${kind}`, () => {
    let temp: TempStore;
    let store: Store;
    beforeEach(async () => {
      temp = await open();
      store = temp.store;
    });
    afterEach(async () => {
      await store.close();
      await temp.cleanup();
    });

    it("finds a tool by the other order of its snake_case name and by a paraphrase of its description", async () => {
      await seed(store);
      expect((await names(store, "count_words"))[0]).toBe("word_count");
      expect((await names(store, "countWords"))[0]).toBe("word_count");
      expect((await names(store, "how many words are in this sentence?"))[0]).toBe("word_count");
      expect((await names(store, "turn 30 degrees celsius into fahrenheit"))[0]).toBe("celsius_to_fahrenheit");
      expect((await names(store, "put these numbers in order"))[0]).toBe("sort_numbers");
      expect(await names(store, "the of and")).toEqual([]);
      expect(await names(store, "")).toEqual([]);
    });

    it("indexes argument names and descriptions, and the spec the version was forged from", async () => {
      const run = await store.createForgeRun({
        kind: "tool",
        spec: "bmi_calc: body mass index from weight and height",
        target: "bmi_calc",
      });
      await store.installToolVersion(
        tool("bmi_calc", "Computes a ratio.", { weight_kg: { type: "number", description: "mass in kilograms" } }, { forgeRunId: run.id }),
      );
      await store.installToolVersion(tool("unrelated", "Does something else entirely."));
      expect(await names(store, "kilograms")).toEqual(["bmi_calc"]);
      expect(await names(store, "body mass index")).toEqual(["bmi_calc"]);
      const [hit] = await store.searchLibrary("body mass");
      expect(hit).toMatchObject({ kind: "tool", name: "bmi_calc", objectId: null, version: 1, description: "Computes a ratio." });
      expect(hit!.score).toBeGreaterThan(0);
      expect(hit!.fields.spec.split(" ")).toEqual(expect.arrayContaining(["bodi", "mass", "index"]));
    });

    it("a new version replaces what is indexed, and a rollback brings the old text back", async () => {
      await store.installToolVersion(tool("text_tool", "Counts the vowels in a text."));
      expect(await names(store, "vowels")).toEqual(["text_tool"]);
      await store.installToolVersion(tool("text_tool", "Extracts the hashtags from a post."));
      expect(await names(store, "vowels")).toEqual([]);
      expect(await store.searchLibrary("hashtags")).toMatchObject([{ name: "text_tool", version: 2 }]);
      await store.rollbackTool("text_tool", 1);
      expect(await store.searchLibrary("vowels")).toMatchObject([{ name: "text_tool", version: 1 }]);
      expect(await names(store, "hashtags")).toEqual([]);
      expect(await store.countTools()).toBe(1);
    });

    it("indexes the methods of objects the same way, and filters by kind", async () => {
      await seed(store);
      await store.createObject({ id: "calendar" });
      await store.installMethodVersion(method("calendar", "days_until_weekend", "Counts the days until the next Saturday."));
      expect(await names(store, "days until the weekend")).toEqual(["calendar#days_until_weekend"]);
      expect(await names(store, "days until the weekend", { kind: "tool" })).toEqual([]);
      expect(await names(store, "count", { kind: "method" })).toEqual(["calendar#days_until_weekend"]);
      await store.installMethodVersion(method("calendar", "days_until_weekend", "Lists public holidays."));
      expect(await names(store, "weekend saturday")).toEqual(["calendar#days_until_weekend"]); // the selector still says it
      expect(await names(store, "holidays")).toEqual(["calendar#days_until_weekend"]);
      await store.rollbackMethod("calendar", "days_until_weekend");
      expect(await names(store, "holidays")).toEqual([]);
    });

    it("returns at most `limit` hits, best first, and refuses a bad limit", async () => {
      const animals = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "ibis", "jay", "koala", "lynx", "mole", "newt", "owl"];
      for (const [i, animal] of animals.entries()) await store.installToolVersion(tool(`text_tool_${i}`, `Text tool for the ${animal}.`));
      expect(await store.searchLibrary("text tool")).toHaveLength(10);
      expect(await store.searchLibrary("text tool", { limit: 3 })).toHaveLength(3);
      const hits = await store.searchLibrary("text tool for the hen", { limit: 15 });
      expect(hits[0]!.name).toBe("text_tool_7");
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
      await expect(store.searchLibrary("x", { limit: 0 })).rejects.toThrow(InvalidInputError);
      await expect(store.searchLibrary("x", { limit: 101 })).rejects.toThrow(InvalidInputError);
    });

    it("records where each version came from: forged with its run, added by hand, or imported", async () => {
      const run = await store.createForgeRun({ kind: "tool", spec: "a spec", target: null });
      await store.installToolVersion(tool("made_by_forge", "x", {}, { forgeRunId: run.id }));
      await store.installToolVersion(tool("made_by_hand", "x", {}, { origin: "added" }));
      await store.installToolVersion(tool("put_there", "x"));
      expect((await store.getToolVersion("made_by_forge", 1))?.origin).toBe("forged");
      expect((await store.getTool("made_by_hand"))?.origin).toBe("added");
      expect((await store.listToolVersions("put_there"))[0]?.origin).toBe("imported");
      await expect(store.installToolVersion(tool("bad_origin", "x", {}, { origin: "added", forgeRunId: run.id }))).rejects.toThrow(
        /cannot have a forge run/,
      );
      await expect(store.installToolVersion(tool("bad_origin", "x", {}, { origin: "forged" }))).rejects.toThrow(/needs the forge run/);
      const events = (await store.listEvents()).filter((e) => e.type === "tool.installed").map((e) => e.payload["origin"]);
      expect(events).toEqual(["forged", "added", "imported"]);
    });

    it("a store reopened sees the same index", async () => {
      await seed(store);
      await store.close();
      store = await openStore(temp.config);
      expect((await names(store, "prime number"))[0]).toBe("is_prime");
    });
  });
}

searchContract("sqlite", () => tempStore());

describe("library search: the SQLite index heals itself on open", () => {
  it("rebuilds an index that disagrees with the active versions (e.g. a damaged or foreign file)", async () => {
    const temp = await tempStore();
    try {
      await seed(temp.store);
      await temp.store.close();
      const db = new Database(path.join(temp.dataDir, "toolforge.db"));
      db.prepare("DELETE FROM library_fts WHERE rowid IN (SELECT id FROM library_docs WHERE name = 'word_count')").run();
      db.prepare("UPDATE library_docs SET version = 7 WHERE name = 'is_prime'").run();
      db.close();
      temp.store = await openStore(temp.config);
      expect((await names(temp.store, "count words"))[0]).toBe("word_count");
      expect((await temp.store.searchLibrary("prime"))[0]).toMatchObject({ name: "is_prime", version: 1 });
    } finally {
      await temp.cleanup();
    }
  });
});

const arango = await arangoTestServer();
if ("skip" in arango) {
  describe("library search: arango", () => {
    it.skip(`skipped — ${arango.skip}`, () => {});
  });
} else {
  afterAll(arango.stop);
  searchContract("arango", () => tempArangoStore(arango.server));
}
