/**
 * The store contract: one suite that every adapter must pass, run here against the embedded SQLite
 * store always and against ArangoDB when a server is available (ARANGO_URL, or a container that
 * @testcontainers/arangodb can start). Where neither exists — as on the build machine, which can
 * pull no image — the ArangoDB run is skipped with the reason printed; that skip is expected there
 * and only there.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Config } from "../../src/config.js";
import type { Diagnostic, Diagnostics } from "../../src/diagnostics.js";
import { InvalidInputError, NotFoundError, RevisionConflictError } from "../../src/errors.js";
import { openStore, restoreStoreSnapshot, ROOT_OBJECT_IDS, sha256Hex, type NewToolGrant, type Store } from "../../src/store/index.js";
import { COLLECTIONS } from "../../src/store/arango/collections.js";
import { INTERRUPTED_FORGE_RUN, INTERRUPTED_MESSAGE, WorkNotHeldError } from "../../src/store/ownership.js";
import { storeFiles } from "../../src/store/sqlite/files.js";
import { arangoTestServer, methodVersion, tempArangoStore, tempStore, toolVersion } from "../support/store.js";

type StoreConfig = Pick<Config, "dataDir" | "arango">;

interface OpenedStore {
  store: Store;
  config: StoreConfig;
  cleanup: () => Promise<void>;
}

/** What the snapshot test compares before export and after restore. */
async function visibleState(store: Store) {
  return {
    tools: await store.listTools(),
    versions: await store.listToolVersions("word_count"),
    objects: await store.listObjects(),
    events: await store.listEvents(),
    revision: await store.registryRevision(),
    method: await store.lookupMethod("system", "greet"),
  };
}

/**
 * Takes the owners' table (SQLite) or collection (ArangoDB) out of the store's reach, so that
 * renewing and removing a lease fail; the function returned puts it back.
 */
type HideOwners = (config: StoreConfig) => Promise<() => Promise<void>>;

function storeContract(name: string, open: () => Promise<OpenedStore>, hideOwners: HideOwners): void {
  describe(`store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await store.close(); // the test may have reopened it
      await opened.cleanup();
    });

    describe("tools", () => {
      it("installs a first version as active, bumps the registry revision and logs tool.installed", async () => {
        const before = await store.registryRevision();
        const installed = await store.installToolVersion(toolVersion("word_count"));
        expect(installed).toMatchObject({ toolName: "word_count", version: 1, status: "active" });
        expect(await store.registryRevision()).toBe(before + 1);
        expect(await store.getTool("word_count")).toMatchObject({ name: "word_count", activeVersion: 1, versionCount: 1 });
        const events = await store.listEvents();
        expect(events.map((e) => e.type)).toEqual(["tool.installed"]);
        expect(events[0]!.payload).toMatchObject({ name: "word_count", version: 1 });
      });

      it("numbers versions, keeps earlier ones inactive and lists them in order", async () => {
        await store.installToolVersion(toolVersion("word_count", "return 1;", { description: "first" }));
        await store.installToolVersion(toolVersion("word_count", "return 2;", { description: "second" }));
        const versions = await store.listToolVersions("word_count");
        expect(versions.map((v) => [v.version, v.status, v.description])).toEqual([
          [1, "inactive", "first"],
          [2, "active", "second"],
        ]);
        expect(await store.getTool("word_count")).toMatchObject({ activeVersion: 2, versionCount: 2, description: "second" });
        expect((await store.getToolVersion("word_count", 1))?.compiled).toContain("return 1;");
        expect(await store.getToolVersion("word_count", 3)).toBeNull();
      });

      it("returns the active version of every tool, code included, for the registry to load", async () => {
        await store.installToolVersion(toolVersion("alpha", "return 1;"));
        await store.installToolVersion(toolVersion("alpha", "return 2;"));
        await store.installToolVersion(toolVersion("beta", "return 3;"));
        const active = await store.activeToolVersions();
        expect(active.map((v) => [v.toolName, v.version, v.compiled.includes("return")])).toEqual([
          ["alpha", 2, true],
          ["beta", 1, true],
        ]);
        expect((await store.listTools()).map((t) => t.name)).toEqual(["alpha", "beta"]);
      });

      it("rolls back to the previous version by default and to any named version, each bumping the revision", async () => {
        for (const n of [1, 2, 3]) await store.installToolVersion(toolVersion("word_count", `return ${n};`));
        const revision = await store.registryRevision();
        expect((await store.rollbackTool("word_count")).version).toBe(2);
        expect(await store.registryRevision()).toBe(revision + 1);
        expect((await store.rollbackTool("word_count", 3)).version).toBe(3);
        expect((await store.rollbackTool("word_count", 1)).version).toBe(1);
        expect(await store.registryRevision()).toBe(revision + 3);
        expect((await store.activeToolVersions())[0]?.version).toBe(1);
        const rollbacks = (await store.listEvents()).filter((e) => e.type === "tool.rolled_back");
        expect(rollbacks.map((e) => e.payload["version"])).toEqual([2, 3, 1]);
      });

      it("refuses rollbacks that cannot apply and changes nothing", async () => {
        await store.installToolVersion(toolVersion("word_count"));
        const revision = await store.registryRevision();
        await expect(store.rollbackTool("word_count")).rejects.toThrow(/no version before the active version 1/);
        await expect(store.rollbackTool("word_count", 1)).rejects.toThrow(/already the active one/);
        await expect(store.rollbackTool("word_count", 7)).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.rollbackTool("no_such_tool")).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.registryRevision()).toBe(revision);
      });

      it("refuses a version whose sha256 does not match its compiled code, writing nothing", async () => {
        const bad = { ...toolVersion("word_count"), sha256: sha256Hex("something else") };
        await expect(store.installToolVersion(bad)).rejects.toThrow(/sha256 .* does not match the compiled code/);
        expect(await store.getTool("word_count")).toBeNull();
        expect(await store.registryRevision()).toBe(0);
        expect(await store.listEvents()).toEqual([]);
      });

      it("refuses tool names that are not snake_case", async () => {
        await expect(store.installToolVersion(toolVersion("WordCount"))).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.installToolVersion({ ...toolVersion("x"), toolName: "two words" })).rejects.toThrow(/snake_case/);
      });

      it("keeps the versions a tool uses, pinned, and lists the active tools that use one with their pins", async () => {
        await store.installToolVersion(toolVersion("factorize"));
        await store.installToolVersion(toolVersion("factorize", "return 2;"));
        await store.installToolVersion(toolVersion("is_prime"));
        const uses = [
          { name: "is_prime", version: 1 },
          { name: "factorize", version: 1 },
        ];
        const installed = await store.installToolVersion({ ...toolVersion("sum_prime_factors"), uses });
        const sorted = [uses[1], uses[0]];
        expect(installed.uses).toEqual(sorted);
        expect((await store.getToolVersion("sum_prime_factors", 1))?.uses).toEqual(sorted);
        expect((await store.activeToolVersions()).find((v) => v.toolName === "sum_prime_factors")?.uses).toEqual(sorted);
        expect((await store.getToolVersion("factorize", 2))?.uses).toEqual([]);
        expect(await store.listDependents("factorize")).toEqual([{ name: "sum_prime_factors", version: 1, pinned: 1 }]);
        // A new active version that uses nothing is no longer a dependent; the old version keeps its pins.
        await store.installToolVersion(toolVersion("sum_prime_factors", "return 0;"));
        expect(await store.listDependents("factorize")).toEqual([]);
        expect((await store.getToolVersion("sum_prime_factors", 1))?.uses).toEqual(sorted);
        await store.rollbackTool("sum_prime_factors", 1);
        expect(await store.listDependents("is_prime")).toEqual([{ name: "sum_prime_factors", version: 1, pinned: 1 }]);
      });

      it("refuses a pin to a version the library does not hold, or to the tool itself, and writes nothing", async () => {
        await store.installToolVersion(toolVersion("factorize"));
        const revision = await store.registryRevision();
        await expect(store.installToolVersion({ ...toolVersion("composite"), uses: [{ name: "factorize", version: 7 }] })).rejects.toThrow(
          /uses factorize v7, which the library does not hold/,
        );
        await expect(store.installToolVersion({ ...toolVersion("composite"), uses: [{ name: "composite", version: 1 }] })).rejects.toThrow(
          /cannot use itself/,
        );
        expect(await store.getTool("composite")).toBeNull();
        expect(await store.registryRevision()).toBe(revision);
      });

      it("links a version to the forge run that made it and refuses an unknown run", async () => {
        const run = await store.createForgeRun({ kind: "tool", spec: "count words", target: "word_count" });
        const installed = await store.installToolVersion({ ...toolVersion("word_count"), forgeRunId: run.id });
        expect(installed.forgeRunId).toBe(run.id);
        await expect(store.installToolVersion({ ...toolVersion("other"), forgeRunId: randomUUID() })).rejects.toThrow(
          /forge run .* does not exist/,
        );
        expect(await store.getTool("other")).toBeNull();
      });
    });

    describe("grants", () => {
      const grant = (over: Partial<NewToolGrant> = {}): NewToolGrant => ({
        toolName: "rates",
        host: "api.frankfurter.app",
        version: 1,
        onlyThisVersion: false,
        decision: "granted",
        ...over,
      });

      it("keeps each answer with its version, lists them in the order given, and logs each without a credential's value", async () => {
        await store.recordGrant(grant({ credential: { header: "Authorization", value: "Bearer s3cret-token" } }));
        await store.recordGrant(grant({ host: "api.example.com", decision: "denied", version: 2, onlyThisVersion: true }));
        await store.recordGrant(grant({ host: "nas.home.arpa", privateNetwork: true }));
        const grants = await store.listGrants("rates");
        expect(
          grants.map((g) => [g.host, g.decision, g.version, g.onlyThisVersion, g.credentialHeader, g.privateNetwork, g.revokedAt]),
        ).toEqual([
          ["api.frankfurter.app", "granted", 1, false, "Authorization", false, null],
          ["api.example.com", "denied", 2, true, null, false, null],
          ["nas.home.arpa", "granted", 1, false, null, true, null],
        ]);
        expect(JSON.stringify(grants)).not.toContain("s3cret-token");
        const events = (await store.listEvents()).filter((e) => e.type === "tool.granted" || e.type === "tool.denied");
        expect(events.map((e) => [e.type, (e.payload as { host: string }).host])).toEqual([
          ["tool.granted", "api.frankfurter.app"],
          ["tool.denied", "api.example.com"],
          ["tool.granted", "nas.home.arpa"],
        ]);
        expect(events[0]?.payload).toMatchObject({ credential: "Authorization" });
        expect(JSON.stringify(await store.listEvents())).not.toContain("s3cret-token");
      });

      it("hands a grant's credential only to the call path, by the grant's id", async () => {
        const withKey = await store.recordGrant(grant({ credential: { header: "X-Api-Key", value: "k-123" } }));
        const without = await store.recordGrant(grant({ host: "api.example.com" }));
        expect(await store.grantCredential(withKey.id)).toEqual({ header: "X-Api-Key", value: "k-123" });
        expect(await store.grantCredential(without.id)).toBeNull();
        expect(await store.grantCredential("no-such-grant")).toBeNull();
      });

      it("revokes every standing answer for a host at once, keeps them with the time, and logs it once", async () => {
        await store.recordGrant(grant());
        await store.recordGrant(grant({ version: 2 }));
        await store.recordGrant(grant({ host: "api.example.com" }));
        expect(await store.revokeGrants("rates", "api.frankfurter.app")).toBe(2);
        expect(await store.revokeGrants("rates", "api.frankfurter.app")).toBe(0);
        const grants = await store.listGrants("rates");
        expect(grants.filter((g) => g.revokedAt !== null).map((g) => g.version)).toEqual([1, 2]);
        expect(grants.find((g) => g.host === "api.example.com")?.revokedAt).toBeNull();
        const revoked = (await store.listEvents()).filter((e) => e.type === "tool.revoked");
        expect(revoked.map((e) => e.payload)).toEqual([{ name: "rates", host: "api.frankfurter.app", answers: 2 }]);
      });

      it("refuses an answer it cannot keep and writes nothing", async () => {
        const bad: [Partial<NewToolGrant>, RegExp][] = [
          [{ host: "https://api.frankfurter.app/latest" }, /scheme or a path/],
          [{ toolName: "Not A Name" }, /snake_case/],
          [{ decision: "denied", credential: { header: "Authorization", value: "x" } }, /a denial carries no credential/],
          [{ credential: { header: "Host", value: "x" } }, /cannot carry a credential/],
          [{ credential: { header: "Authorization", value: "a\r\nX-Evil: 1" } }, /one line of text/],
        ];
        for (const [over, message] of bad) {
          await expect(store.recordGrant(grant(over))).rejects.toThrow(message);
        }
        expect(await store.listGrants("rates")).toEqual([]);
        expect((await store.listEvents()).filter((e) => e.type.startsWith("tool."))).toEqual([]);
      });
    });

    describe("objects", () => {
      it("has the root objects nil and system from its first open, empty and without prototypes", async () => {
        const roots = await store.listObjects();
        expect(roots.map((o) => o.id)).toEqual([...ROOT_OBJECT_IDS]);
        for (const root of roots) expect(root).toMatchObject({ attributes: {}, prototypes: [], revision: 1 });
      });

      it("creates objects with ordered prototypes and accepts bare and UvmObjects/ ids alike", async () => {
        await store.createObject({ id: "empty" });
        await store.createObject({ id: "UvmObjects/traits" });
        const app = await store.createObject({ id: "app", attributes: { name: "App" }, prototypes: ["UvmObjects/traits", "empty"] });
        expect(app).toMatchObject({ id: "app", attributes: { name: "App" }, revision: 1, prototypes: ["traits", "empty"] });
        expect(await store.getObject("UvmObjects/app")).toEqual(app);
        expect((await store.listObjects()).map((o) => o.id)).toEqual(["app", "empty", "nil", "system", "traits"]);
        expect(await store.getObject("nobody")).toBeNull();
      });

      it("refuses a duplicate id, a missing prototype and an invalid id", async () => {
        await store.createObject({ id: "empty" });
        await expect(store.createObject({ id: "empty" })).rejects.toThrow(/already exists/);
        await expect(store.createObject({ id: "system" })).rejects.toThrow(/already exists/);
        await expect(store.createObject({ id: "child", prototypes: ["ghost"] })).rejects.toThrow(
          /prototype "ghost" of object "child" does not exist/,
        );
        expect(await store.getObject("child")).toBeNull();
        await expect(store.createObject({ id: "has space" })).rejects.toBeInstanceOf(InvalidInputError);
      });

      it("ensureObject creates a missing object and returns an existing one untouched", async () => {
        const first = await store.ensureObject({ id: "app", attributes: { n: 1 } });
        const again = await store.ensureObject({ id: "UvmObjects/app", attributes: { n: 2 } });
        expect(again).toEqual(first);
        expect(again.attributes).toEqual({ n: 1 });
      });

      it("writes attributes only at the expected revision and reports a stale one as a typed conflict", async () => {
        await store.createObject({ id: "counter", attributes: { count: 0 } });
        const updated = await store.updateAttributes("counter", 1, { count: 1 });
        expect(updated).toMatchObject({ revision: 2, attributes: { count: 1 } });
        const conflict = await store.updateAttributes("counter", 1, { count: 99 }).catch((e: unknown) => e);
        expect(conflict).toBeInstanceOf(RevisionConflictError);
        expect(conflict).toMatchObject({ objectId: "counter", expectedRevision: 1, actualRevision: 2 });
        expect((await store.getObject("counter"))?.attributes).toEqual({ count: 1 });
        await expect(store.updateAttributes("ghost", 1, {})).rejects.toBeInstanceOf(NotFoundError);
      });

      it("20 concurrent read-modify-write updates with retry on conflict end at exactly 20", async () => {
        await store.createObject({ id: "counter", attributes: { count: 0 } });
        let conflicts = 0;
        const increment = async () => {
          for (;;) {
            const current = (await store.getObject("counter"))!;
            await new Promise((resolve) => setImmediate(resolve)); // let the others read the same revision
            try {
              await store.updateAttributes("counter", current.revision, { count: (current.attributes["count"] as number) + 1 });
              return;
            } catch (error) {
              if (!(error instanceof RevisionConflictError)) throw error;
              conflicts++;
            }
          }
        };
        await Promise.all(Array.from({ length: 20 }, increment));
        const final = (await store.getObject("counter"))!;
        expect(final.attributes["count"]).toBe(20);
        expect(final.revision).toBe(21);
        expect(conflicts).toBeGreaterThan(0);
      });

      it("replaces prototype links in the given order", async () => {
        for (const id of ["a", "b", "c"]) await store.createObject({ id });
        await store.createObject({ id: "x", prototypes: ["a", "b"] });
        expect((await store.setPrototypes("x", ["c", "UvmObjects/a"])).prototypes).toEqual(["c", "a"]);
        expect((await store.getObject("x"))?.prototypes).toEqual(["c", "a"]);
        await expect(store.setPrototypes("x", ["a", "a"])).rejects.toThrow(/twice/);
        await expect(store.setPrototypes("x", ["ghost"])).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.getObject("x"))?.prototypes).toEqual(["c", "a"]);
      });
    });

    describe("methods and prototype lookup", () => {
      it("installs method versions as one step each, rolls them back, and lists them", async () => {
        const revision = await store.registryRevision();
        await store.installMethodVersion(methodVersion("system", "greet", "return 1;"));
        await store.installMethodVersion(methodVersion("UvmObjects/system", "greet", "return 2;"));
        expect(await store.registryRevision()).toBe(revision + 2);
        expect((await store.listMethods("system")).map((m) => [m.selector, m.version])).toEqual([["greet", 2]]);
        expect((await store.rollbackMethod("system", "greet")).version).toBe(1);
        expect((await store.listMethodVersions("system", "greet")).map((m) => m.status)).toEqual(["active", "inactive"]);
        expect((await store.listEvents()).map((e) => e.type)).toEqual(["method.installed", "method.installed", "method.rolled_back"]);
        await expect(store.installMethodVersion(methodVersion("ghost", "greet"))).rejects.toBeInstanceOf(NotFoundError);
      });

      it("finds a method on the receiver itself at depth 0", async () => {
        await store.installMethodVersion(methodVersion("system", "greet"));
        expect(await store.lookupMethod("system", "greet")).toMatchObject({ holderId: "system", depth: 0, method: { selector: "greet" } });
        expect(await store.lookupMethod("system", "absent")).toBeNull();
      });

      it("walks a chain of prototypes and reports the holder and the depth", async () => {
        await store.createObject({ id: "root" });
        await store.createObject({ id: "middle", prototypes: ["root"] });
        await store.createObject({ id: "leaf", prototypes: ["middle"] });
        await store.installMethodVersion(methodVersion("root", "describe"));
        expect(await store.lookupMethod("leaf", "describe")).toMatchObject({ holderId: "root", depth: 2 });
      });

      it("follows links in their order, depth-first: a deep method on the first link beats a shallow one on the second", async () => {
        // top ← left ← receiver → right (both prototypes of receiver); method on top and on right.
        await store.createObject({ id: "top" });
        await store.createObject({ id: "left", prototypes: ["top"] });
        await store.createObject({ id: "right" });
        await store.createObject({ id: "receiver", prototypes: ["left", "right"] });
        await store.installMethodVersion(methodVersion("top", "speak"));
        await store.installMethodVersion(methodVersion("right", "speak"));
        expect(await store.lookupMethod("receiver", "speak")).toMatchObject({ holderId: "top", depth: 2 });
        await store.setPrototypes("receiver", ["right", "left"]);
        expect(await store.lookupMethod("receiver", "speak")).toMatchObject({ holderId: "right", depth: 1 });
      });

      it("resolves a diamond deterministically: the first path in link order wins", async () => {
        // receiver → [b, c]; b → d; c → d; methods on d and on c.
        await store.createObject({ id: "d" });
        await store.createObject({ id: "b", prototypes: ["d"] });
        await store.createObject({ id: "c", prototypes: ["d"] });
        await store.createObject({ id: "receiver", prototypes: ["b", "c"] });
        await store.installMethodVersion(methodVersion("d", "shared"));
        await store.installMethodVersion(methodVersion("c", "shared"));
        await store.installMethodVersion(methodVersion("c", "only_c"));
        for (let i = 0; i < 3; i++) {
          expect(await store.lookupMethod("receiver", "shared")).toMatchObject({ holderId: "d", depth: 2 });
        }
        // d was visited through b, so c is still reached for what d lacks.
        expect(await store.lookupMethod("receiver", "only_c")).toMatchObject({ holderId: "c", depth: 1 });
      });

      it("survives a cycle in the prototype links", async () => {
        await store.createObject({ id: "a" });
        await store.createObject({ id: "b", prototypes: ["a"] });
        await store.setPrototypes("a", ["b"]);
        await store.setPrototypes("b", ["a", "b"]);
        await store.installMethodVersion(methodVersion("b", "found"));
        expect(await store.lookupMethod("a", "missing")).toBeNull();
        expect(await store.lookupMethod("a", "found")).toMatchObject({ holderId: "b", depth: 1 });
      });

      it("stops at the depth limit", async () => {
        const chain = ["o0", "o1", "o2", "o3", "o4", "o5"];
        await store.createObject({ id: "o5" });
        for (let i = 4; i >= 0; i--) await store.createObject({ id: chain[i]!, prototypes: [chain[i + 1]!] });
        await store.installMethodVersion(methodVersion("o5", "deep"));
        expect(await store.lookupMethod("o0", "deep", { maxDepth: 4 })).toBeNull();
        expect(await store.lookupMethod("o0", "deep", { maxDepth: 5 })).toMatchObject({ holderId: "o5", depth: 5 });
        expect(await store.lookupMethod("o0", "deep")).toMatchObject({ holderId: "o5", depth: 5 });
        await expect(store.lookupMethod("o0", "deep", { maxDepth: -1 })).rejects.toBeInstanceOf(InvalidInputError);
      });

      it("reports an unknown receiver as not found rather than as a missing method", async () => {
        await expect(store.lookupMethod("ghost", "greet")).rejects.toThrow(/no such object "ghost"/);
      });
    });

    describe("forge runs, messages and events", () => {
      it("records a forge run with every attempt, in order, and its outcome", async () => {
        const run = await store.createForgeRun({ kind: "tool", spec: "count words", target: "word_count" });
        expect(run).toMatchObject({ status: "running", attempts: [], finishedAt: null });
        const attempt = (number: number, outcome: "passed" | "failed") => ({
          number,
          reply: `reply ${number}`,
          code: "export default 1",
          stage: outcome === "passed" ? ("install" as const) : ("sandbox" as const),
          outcome,
          failure: outcome === "failed" ? "AssertionError: 2 !== 3" : null,
          findings: [{ rule: "no-eval", message: "eval is refused", line: 3, column: 5 }],
          sandbox: { exitCode: 1, timedOut: false, oomKilled: false, stdout: "", stderr: "boom", report: { ok: false } },
          durations: { model: 12, audit: 1, sandbox: 340 },
          createdAt: new Date().toISOString(),
        });
        await store.addForgeAttempt(run.id, attempt(1, "failed"));
        await store.addForgeAttempt(run.id, attempt(2, "passed"));
        await expect(store.addForgeAttempt(run.id, attempt(2, "passed"))).rejects.toThrow(/already has attempt 2/);
        const finished = await store.finishForgeRun(run.id, { status: "installed", result: { name: "word_count", version: 1 } });
        expect(finished).toMatchObject({ status: "installed", result: { name: "word_count", version: 1 }, error: null });
        expect(finished.finishedAt).not.toBeNull();
        expect(finished.attempts).toEqual(
          [attempt(1, "failed"), attempt(2, "passed")].map((a, i) => ({ ...a, createdAt: finished.attempts[i]!.createdAt })),
        );
        await expect(store.finishForgeRun(run.id, { status: "failed", error: "again" })).rejects.toThrow(/already finished/);
        const failed = await store.createForgeRun({ kind: "method", spec: "greet", target: "system#greet" });
        await store.finishForgeRun(failed.id, { status: "failed", error: "three failures" });
        expect((await store.listForgeRuns({ status: "failed" })).map((r) => r.id)).toEqual([failed.id]);
        expect((await store.listForgeRuns()).map((r) => r.id).sort()).toEqual([run.id, failed.id].sort());
        expect(await store.getForgeRun(randomUUID())).toBeNull();
        await expect(store.addForgeAttempt(randomUUID(), attempt(1, "failed"))).rejects.toBeInstanceOf(NotFoundError);
      });

      it("keeps a message from pending through running to done with its result", async () => {
        const message = await store.createMessage({ targetId: "system", selector: "greet", args: ["Ada"], kwargs: { loud: true } });
        expect(message).toMatchObject({
          status: "pending",
          args: ["Ada"],
          kwargs: { loud: true },
          result: null,
          learned: false,
          startedAt: null,
        });
        const startedAt = new Date().toISOString();
        await store.updateMessage(message.id, { status: "running", startedAt });
        const done = await store.updateMessage(message.id, {
          status: "done",
          result: { greeting: "Hello, Ada" },
          learned: true,
          finishedAt: new Date().toISOString(),
        });
        expect(done).toMatchObject({ status: "done", result: { greeting: "Hello, Ada" }, learned: true, startedAt, error: null });
        expect(await store.getMessage(message.id)).toEqual(done);
        const failed = await store.updateMessage(
          (await store.createMessage({ targetId: "ghost", selector: "x", args: [], kwargs: {} })).id,
          { status: "failed", error: "no such object" },
        );
        expect(failed).toMatchObject({ status: "failed", error: "no such object", result: null });
        await expect(store.updateMessage(randomUUID(), { status: "done" })).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getMessage(randomUUID())).toBeNull();
      });

      it("lets only the holder of a message update it, only while unfinished, and starts only a pending one", async () => {
        const message = await store.createMessage({ targetId: "system", selector: "greet", args: [], kwargs: {} });
        const other = await openStore(opened.config);
        try {
          expect(other.ownerId).not.toBe(store.ownerId);
          await expect(other.updateMessage(message.id, { status: "running" })).rejects.toBeInstanceOf(WorkNotHeldError);
          await store.updateMessage(message.id, { status: "running" });
          await expect(store.updateMessage(message.id, { status: "running" })).rejects.toThrow(/already started/);
          await store.updateMessage(message.id, { status: "done", result: 1 });
          await expect(store.updateMessage(message.id, { status: "failed", error: "late" })).rejects.toThrow(/already finished/);
          expect(await store.getMessage(message.id)).toMatchObject({ status: "done", result: 1, error: null });
        } finally {
          await other.close();
        }
      });

      it("leaves a live owner's work alone and recovers what an owner left when it went away", async () => {
        const pending = await store.createMessage({ targetId: "system", selector: "later", args: [1], kwargs: {} });
        const running = await store.createMessage({ targetId: "system", selector: "now", args: [], kwargs: {} });
        await store.updateMessage(running.id, { status: "running", startedAt: new Date().toISOString() });
        const run = await store.createForgeRun({ kind: "tool", spec: "count words", target: null });
        const finished = await store.createForgeRun({ kind: "tool", spec: "done already", target: null });
        await store.finishForgeRun(finished.id, { status: "failed", error: "its own reason" });

        const next = await openStore(opened.config);
        try {
          expect(await next.recoverInterruptedWork()).toEqual({ requeued: [], interruptedMessages: [], interruptedForgeRuns: [] });
          expect((await next.getMessage(pending.id))!.status).toBe("pending");

          await store.close(); // its owner goes away with a pending message, a running one and a forge run in flight
          const recovered = await next.recoverInterruptedWork();
          expect(recovered.requeued.map((m) => [m.id, m.status, m.args])).toEqual([[pending.id, "pending", [1]]]);
          expect(recovered.interruptedMessages).toEqual([running.id]);
          expect(recovered.interruptedForgeRuns).toEqual([run.id]);
          expect(await next.getMessage(running.id)).toMatchObject({ status: "failed", error: INTERRUPTED_MESSAGE });
          expect(await next.getForgeRun(run.id)).toMatchObject({ status: "failed", error: INTERRUPTED_FORGE_RUN });
          expect(await next.getForgeRun(finished.id)).toMatchObject({ status: "failed", error: "its own reason" });
          // The requeued message is the new owner's now: it can start it, once.
          await next.updateMessage(pending.id, { status: "running" });
          expect(await next.recoverInterruptedWork()).toEqual({ requeued: [], interruptedMessages: [], interruptedForgeRuns: [] });
        } finally {
          await next.close();
        }
      });

      it("warns the diagnostics it was opened with, as the store, when its lease cannot be renewed or removed", async () => {
        const warnings: Diagnostic[] = [];
        const diagnostics: Diagnostics = {
          warn: (source, message, details) => warnings.push({ source, message, ...(details ? { details } : {}) }),
        };
        const watched = await openStore(opened.config, { diagnostics, leaseMs: 150 });
        const putBack = await hideOwners(opened.config);
        try {
          await vi.waitFor(() => expect(warnings.length).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
          await watched.close();
        } finally {
          await putBack();
          await watched.close();
        }
        expect(warnings[0]).toEqual({
          source: "store",
          message: expect.stringContaining(`could not renew the store lease of owner ${watched.ownerId}`),
          details: { ownerId: watched.ownerId },
        });
        expect(warnings.at(-1)).toEqual({
          source: "store",
          message: expect.stringContaining(`could not remove this process's lease from ${watched.location}`),
          details: { ownerId: watched.ownerId },
        });
      });

      it("appends events with increasing sequence numbers and pages through them in order", async () => {
        const appended = [];
        for (let i = 0; i < 5; i++) appended.push(await store.appendEvent("test.tick", { i }));
        const seqs = appended.map((e) => e.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(5);
        expect((await store.listEvents()).map((e) => e.payload["i"])).toEqual([0, 1, 2, 3, 4]);
        expect((await store.listEvents({ afterSeq: seqs[1]!, limit: 2 })).map((e) => e.payload["i"])).toEqual([2, 3]);
        await expect(store.appendEvent("Not A Type", {})).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    describe("checkpoints and snapshots", () => {
      it("keeps LangGraph checkpoints: put, then get the latest and list them", async () => {
        const saver = store.checkpointer();
        const threadId = `thread-${randomUUID()}`;
        const first = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages: ["hi"] } };
        const second = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages: ["hi", "there"] } };
        const config1 = await saver.put(
          { configurable: { thread_id: threadId, checkpoint_ns: "" } },
          first,
          { source: "input", step: 0, parents: {} },
          {},
        );
        await saver.put(config1, second, { source: "loop", step: 1, parents: {} }, {});
        const latest = await saver.getTuple({ configurable: { thread_id: threadId } });
        expect(latest?.checkpoint.id).toBe(second.id);
        expect(latest?.checkpoint.channel_values).toEqual({ messages: ["hi", "there"] });
        expect(latest?.parentConfig?.configurable?.["checkpoint_id"]).toBe(first.id);
        const listed = [];
        for await (const tuple of saver.list({ configurable: { thread_id: threadId } })) listed.push(tuple.checkpoint.id);
        expect(listed).toEqual([second.id, first.id]);
      });

      it("lists the conversations once each, the one written last first, and not the subgraph namespaces", async () => {
        const saver = store.checkpointer();
        const older = `older-${randomUUID()}`;
        const newer = `newer-${randomUUID()}`;
        const put = (threadId: string, ns = "") =>
          saver.put(
            { configurable: { thread_id: threadId, checkpoint_ns: ns } },
            { ...emptyCheckpoint(), id: uuid6(-1) },
            { source: "loop", step: 0, parents: {} },
            {},
          );
        await put(older);
        await put(newer);
        await put(older); // older is written to again: now it is the most recent
        await put(`sub-${randomUUID()}`, "tools:1");
        const listed = await store.listThreads({ limit: 1000 });
        expect(listed.filter((id) => id === older || id === newer)).toEqual([older, newer]);
        expect(listed.indexOf(older)).toBe(0);
        expect(listed.some((id) => id.startsWith("sub-"))).toBe(false);
        expect(await store.listThreads({ limit: 1 })).toEqual([older]);
      });

      it("restores an exported snapshot exactly, discarding what changed after it", async () => {
        await store.updateAttributes("system", 1, { greeting: "hello" });
        await store.installToolVersion(toolVersion("word_count"));
        await store.installMethodVersion(methodVersion("system", "greet"));
        const threadId = `thread-${randomUUID()}`;
        const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1) };
        await store
          .checkpointer()
          .put({ configurable: { thread_id: threadId, checkpoint_ns: "" } }, checkpoint, { source: "input", step: 0, parents: {} }, {});
        const snapshotDir = mkdtempSync(path.join(os.tmpdir(), "toolforge-snapshot-"));
        try {
          const files = await store.exportSnapshot(snapshotDir);
          expect(files).toContain("store-snapshot.json");
          const before = await visibleState(store);

          await store.installToolVersion(toolVersion("word_count", "return 2;"));
          await store.installToolVersion(toolVersion("later_tool"));
          await store.updateAttributes("system", 2, { greeting: "changed" });
          await store.close();

          await restoreStoreSnapshot(opened.config, snapshotDir);
          store = await openStore(opened.config);
          opened.store = store;
          expect(await visibleState(store)).toEqual(before);
          expect((await store.checkpointer().getTuple({ configurable: { thread_id: threadId } }))?.checkpoint.id).toBe(checkpoint.id);
          // Sequences continue past the restored data.
          const next = await store.appendEvent("test.after_restore", {});
          expect(next.seq).toBeGreaterThan(before.events.at(-1)!.seq);
        } finally {
          rmSync(snapshotDir, { recursive: true, force: true });
        }
      });
    });
  });
}

// ---------------------------------------------------------------- the adapters

storeContract(
  "sqlite",
  async () => tempStore(),
  async (config) => {
    const db = new Database(storeFiles(config.dataDir).database);
    db.exec("ALTER TABLE owners RENAME TO owners_hidden");
    return async () => {
      db.exec("ALTER TABLE owners_hidden RENAME TO owners");
      db.close();
    };
  },
);

const arango = await arangoTestServer();
if ("skip" in arango) {
  describe("store contract: arango", () => {
    it.skip(`skipped — ${arango.skip}`, () => {});
  });
} else {
  afterAll(arango.stop);
  storeContract(
    "arango",
    () => tempArangoStore(arango.server),
    async (config) => {
      const { Database: ArangoDatabase } = await import("arangojs");
      const { url, database, user, password } = config.arango!;
      const db = new ArangoDatabase({ url, databaseName: database, auth: { username: user, password } });
      const owners = db.collection(COLLECTIONS.owners);
      await owners.rename(`${COLLECTIONS.owners}Hidden`);
      return async () => {
        await owners.rename(COLLECTIONS.owners);
        db.close();
      };
    },
  );
}
