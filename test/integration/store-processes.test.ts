/**
 * The store shared by several processes — part of the store contract, run against SQLite always and
 * against ArangoDB where a server exists: a child killed with SIGKILL in the middle of an install,
 * installs seen across processes through the registry revision, updates from three processes that
 * lose nothing, and migrations when several processes open a fresh store at once.
 * Children are small scripts written to a temporary directory and run with `node --import tsx`;
 * they get the store's configuration as JSON in TOOLFORGE_TEST_STORE.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT, type Config } from "../../src/config.js";
import { openStore } from "../../src/store/index.js";
import { ARANGO_MIGRATIONS } from "../../src/store/arango/schema.js";
import { INTERRUPTED_FORGE_RUN, INTERRUPTED_MESSAGE } from "../../src/store/ownership.js";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { arangoTestServer, freshArangoDatabase, toolVersion } from "../support/store.js";

const MIGRATION_VERSIONS = { sqlite: MIGRATIONS.map((m) => m.version), arango: ARANGO_MIGRATIONS.map((m) => m.version) };

const CHILD_SOURCE = `
import { writeSync } from "node:fs";
import { createHash } from "node:crypto";
const { openStore } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/store/index.ts")).href)});
const [action, arg] = process.argv.slice(2);
const say = (line) => writeSync(1, line + "\\n"); // synchronous: the parent may kill us right after
const config = JSON.parse(process.env.TOOLFORGE_TEST_STORE);
const tool = (name, body) => {
  const compiled = "export default function " + name + "() { " + body + " }";
  return { toolName: name, description: name, schema: { type: "object" }, source: compiled, compiled,
           sha256: createHash("sha256").update(compiled).digest("hex"), forgeRunId: null };
};
const blockForever = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);

if (action === "hold-install") {
  const store = await openStore(config, { beforeCommit: (operation) => { say("HOLDING " + operation); blockForever(); } });
  await store.installToolVersion(tool(arg, "return 'half';"));
  say("COMMITTED"); // never reached
} else if (action === "install-loop") {
  const store = await openStore(config);
  for (let i = 0; ; i++) {
    await store.installToolVersion(tool("looped", "return " + i + ";"));
    say("installed " + i);
  }
} else if (action === "install") {
  const store = await openStore(config);
  const installed = await store.installToolVersion(tool(arg, "return 1;"));
  say(JSON.stringify({ version: installed.version, revision: await store.registryRevision() }));
  await store.close();
} else if (action === "watch") {
  const store = await openStore(config);
  say("WATCHING");
  while ((await store.registryRevision()) <= Number(arg)) await new Promise((r) => setTimeout(r, 20));
  say(JSON.stringify((await store.activeToolVersions()).map((v) => v.toolName)));
  await store.close();
} else if (action === "increment") {
  const store = await openStore(config);
  let conflicts = 0;
  for (let i = 0; i < Number(arg); i++) {
    for (;;) {
      const current = await store.getObject("counter");
      try { await store.updateAttributes("counter", current.revision, { count: current.attributes.count + 1 }); break; }
      catch (error) { if (error.code !== "revision_conflict") throw error; conflicts++; }
    }
  }
  say(JSON.stringify({ conflicts }));
  await store.close();
} else if (action === "hold-work") {
  // A message waiting, a message running and a forge run in flight, held until this process dies.
  const store = await openStore(config, { leaseMs: Number(process.env.TOOLFORGE_TEST_LEASE_MS) });
  const pending = await store.createMessage({ targetId: "system", selector: "later", args: [arg], kwargs: {} });
  const running = await store.createMessage({ targetId: "system", selector: "now", args: [arg], kwargs: {} });
  await store.updateMessage(running.id, { status: "running", startedAt: new Date().toISOString() });
  const run = await store.createForgeRun({ kind: "tool", spec: "spec " + arg, target: null });
  say("HOLDING " + JSON.stringify({ pending: pending.id, running: running.id, run: run.id }));
  setInterval(() => {}, 1 << 30);
} else if (action === "open") {
  const store = await openStore(config);
  say(JSON.stringify({ applied: store.appliedMigrations }));
  await store.close();
}
`;

interface Child {
  process: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line that matches. */
  waitFor: (pattern: RegExp) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

type StoreConfig = Pick<Config, "dataDir" | "arango">;
type Held = { pending: string; running: string; run: string };

/** Null when this machine can start a process in a new PID namespace (root, util-linux unshare); else why not. */
const unshareProblem: string | null = (() => {
  const probe = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "--kill-child", "true"], { encoding: "utf8" });
  if (probe.error) return `unshare is not available (${probe.error.message})`;
  return probe.status === 0 ? null : `unshare --pid cannot run here (${probe.stderr.trim() || `exit ${probe.status}`}): it needs root`;
})();

let scratch: string;
let childScript: string;
let storeConfig: StoreConfig;
const running: ChildProcess[] = [];

function startChild(...args: string[]): Child {
  return startChildWith({}, ...args);
}

/**
 * `inOwnPidNamespace`: the child runs as PID 1 of a new PID namespace (`unshare --pid --fork
 * --mount-proc --kill-child`; killing `unshare` kills it): a live process this one cannot judge
 * by pid, like a server in another container on the same host.
 */
function startChildWith(options: { inOwnPidNamespace?: boolean; leaseMs?: number }, ...args: string[]): Child {
  const command = [process.execPath, "--import", "tsx", childScript, ...args];
  const [file, ...argv] = options.inOwnPidNamespace ? ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", ...command] : command;
  const child = spawn(file!, argv, {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TOOLFORGE_TEST_STORE: JSON.stringify(storeConfig), TOOLFORGE_TEST_LEASE_MS: String(options.leaseMs ?? 30_000) },
  });
  running.push(child);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return resolve(seen);
      waiters.push({ pattern, resolve });
      void exited.then(({ code, signal, stderr: err }) =>
        reject(new Error(`child ${args.join(" ")} exited (${code ?? signal}) before printing ${pattern}:\n${err}`)),
      );
    });
  return { process: child, lines, waitFor, exited };
}

async function runChild(...args: string[]): Promise<string[]> {
  const child = startChild(...args);
  const { code, stderr } = await child.exited;
  if (code !== 0) throw new Error(`child ${args.join(" ")} failed with ${code}:\n${stderr}`);
  return child.lines;
}

interface Adapter {
  kind: "sqlite" | "arango";
  /** A fresh, empty store's configuration; `drop` removes what it made beyond `scratch`. */
  fresh: () => { config: StoreConfig; drop: () => Promise<void> };
}

function processContract(adapter: Adapter): void {
  describe(`store across processes: ${adapter.kind}`, () => {
    let drop: () => Promise<void>;
    beforeEach(() => {
      scratch = mkdtempSync(path.join(os.tmpdir(), "toolforge-procs-"));
      childScript = path.join(scratch, "store-child.mjs");
      writeFileSync(childScript, CHILD_SOURCE);
      const fresh = adapter.fresh();
      storeConfig = fresh.config;
      drop = fresh.drop;
    });

    afterEach(async () => {
      for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await drop();
      rmSync(scratch, { recursive: true, force: true });
    });

    it("a child killed with SIGKILL while its install transaction is open leaves nothing of that install visible", async () => {
      const store = await openStore(storeConfig);
      await store.installToolVersion(toolVersion("kept"));
      const before = { revision: await store.registryRevision(), events: await store.listEvents() };
      await store.close();

      const child = startChild("hold-install", "half_done");
      expect(await child.waitFor(/^HOLDING/)).toBe("HOLDING installToolVersion");
      child.process.kill("SIGKILL");
      expect((await child.exited).signal).toBe("SIGKILL");

      const reopened = await openStore(storeConfig);
      try {
        expect(await reopened.getTool("half_done")).toBeNull();
        expect(await reopened.listToolVersions("half_done")).toEqual([]);
        expect((await reopened.activeToolVersions()).map((v) => v.toolName)).toEqual(["kept"]);
        expect(await reopened.registryRevision()).toBe(before.revision);
        expect(await reopened.listEvents()).toEqual(before.events);
        // SQLite releases the dead writer's lock at once; ArangoDB keeps the orphaned stream
        // transaction (and its lock) until the server's idle timeout, so only SQLite retries now.
        if (adapter.kind === "sqlite") expect((await reopened.installToolVersion(toolVersion("half_done"))).version).toBe(1);
      } finally {
        await reopened.close();
      }
    });

    it("children killed at arbitrary points of an install loop leave every install all-or-nothing", async () => {
      const rounds = adapter.kind === "sqlite" ? 4 : 1; // see above: each orphaned ArangoDB transaction blocks until its timeout
      for (let round = 0; round < rounds; round++) {
        const child = startChild("install-loop");
        await child.waitFor(new RegExp(`^installed ${1 + ((round * 3) % 5)}$`));
        await new Promise((resolve) => setTimeout(resolve, (round * 7) % 11)); // kill at varying points of the next install
        child.process.kill("SIGKILL");
        await child.exited;
      }
      const store = await openStore(storeConfig);
      try {
        const versions = await store.listToolVersions("looped");
        const installedEvents = (await store.listEvents({ limit: 10_000 })).filter((e) => e.type === "tool.installed");
        expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1));
        expect(installedEvents.map((e) => e.payload["version"])).toEqual(versions.map((v) => v.version));
        expect(await store.registryRevision()).toBe(versions.length);
        expect((await store.getTool("looped"))?.activeVersion).toBe(versions.length);
        expect(versions.length).toBeGreaterThanOrEqual(rounds * 2);
      } finally {
        await store.close();
      }
    });

    it("two processes on one store see each other's installs through the registry revision", async () => {
      const store = await openStore(storeConfig);
      try {
        const start = await store.registryRevision();
        const [fromChild] = await runChild("install", "child_tool");
        expect(JSON.parse(fromChild!)).toEqual({ version: 1, revision: start + 1 });
        expect(await store.registryRevision()).toBe(start + 1);
        expect((await store.activeToolVersions()).map((v) => v.toolName)).toEqual(["child_tool"]);

        const watcher = startChild("watch", String(start + 1));
        await watcher.waitFor(/^WATCHING$/);
        await store.installToolVersion(toolVersion("parent_tool"));
        expect(JSON.parse(await watcher.waitFor(/^\[/))).toEqual(["child_tool", "parent_tool"]);
        expect((await watcher.exited).code).toBe(0);
      } finally {
        await store.close();
      }
    });

    it("read-modify-write updates from two processes and this one, retried on conflict, lose nothing", async () => {
      const store = await openStore(storeConfig);
      try {
        await store.createObject({ id: "counter", attributes: { count: 0 } });
        const children = [startChild("increment", "10"), startChild("increment", "10")];
        for (let i = 0; i < 5; i++) {
          for (;;) {
            const current = (await store.getObject("counter"))!;
            const ok = await store
              .updateAttributes("counter", current.revision, { count: (current.attributes["count"] as number) + 1 })
              .then(
                () => true,
                (error: { code?: string }) => {
                  if (error.code !== "revision_conflict") throw error;
                  return false;
                },
              );
            if (ok) break;
          }
        }
        for (const child of children) expect((await child.exited).code).toBe(0);
        const final = (await store.getObject("counter"))!;
        expect(final.attributes["count"]).toBe(25);
        expect(final.revision).toBe(26);
      } finally {
        await store.close();
      }
    });

    it("after a SIGKILL, the next process takes over the dead one's pending messages and fails its running work, leaving a live one's alone", async () => {
      const live = startChild("hold-work", "live");
      const doomed = startChild("hold-work", "doomed");
      const held = {
        live: JSON.parse((await live.waitFor(/^HOLDING /)).slice(8)) as Held,
        doomed: JSON.parse((await doomed.waitFor(/^HOLDING /)).slice(8)) as Held,
      };
      doomed.process.kill("SIGKILL");
      await doomed.exited;

      const next = await openStore(storeConfig);
      try {
        const recovered = await next.recoverInterruptedWork();
        expect(recovered.requeued.map((m) => [m.id, m.status, m.args])).toEqual([[held.doomed.pending, "pending", ["doomed"]]]);
        expect(recovered.interruptedMessages).toEqual([held.doomed.running]);
        expect(recovered.interruptedForgeRuns).toEqual([held.doomed.run]);
        expect(await next.getMessage(held.doomed.running)).toMatchObject({ status: "failed", error: INTERRUPTED_MESSAGE });
        expect(await next.getForgeRun(held.doomed.run)).toMatchObject({ status: "failed", error: INTERRUPTED_FORGE_RUN });
        expect((await next.getMessage(held.live.pending))!.status).toBe("pending");
        expect((await next.getMessage(held.live.running))!.status).toBe("running");
        expect((await next.getForgeRun(held.live.run))!.status).toBe("running");
        expect(await next.recoverInterruptedWork()).toEqual({ requeued: [], interruptedMessages: [], interruptedForgeRuns: [] });
      } finally {
        await next.close();
      }
    });

    it.skipIf(unshareProblem !== null)(
      `judges a process in another PID namespace by its lease alone, and takes its work only after the lease runs out${unshareProblem ? ` (skipped: ${unshareProblem})` : ""}`,
      async () => {
        const leaseMs = 1_500;
        const other = startChildWith({ inOwnPidNamespace: true, leaseMs }, "hold-work", "elsewhere");
        const held = JSON.parse((await other.waitFor(/^HOLDING /)).slice(8)) as Held;
        const next = await openStore(storeConfig);
        try {
          await new Promise((resolve) => setTimeout(resolve, 2 * leaseMs)); // it renews its lease meanwhile
          expect(await next.recoverInterruptedWork()).toEqual({ requeued: [], interruptedMessages: [], interruptedForgeRuns: [] });

          other.process.kill("SIGKILL");
          await other.exited;
          // Its pid means nothing here: until its lease runs out, it may be alive.
          expect((await next.recoverInterruptedWork()).requeued).toEqual([]);
          expect((await next.getMessage(held.pending))!.status).toBe("pending");

          let recovered = await next.recoverInterruptedWork();
          for (const deadline = Date.now() + 20 * leaseMs; recovered.requeued.length === 0 && Date.now() < deadline;) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            recovered = await next.recoverInterruptedWork();
          }
          expect(recovered.requeued.map((m) => m.id)).toEqual([held.pending]);
          expect(recovered.interruptedMessages).toEqual([held.running]);
          expect(recovered.interruptedForgeRuns).toEqual([held.run]);
        } finally {
          await next.close();
        }
      },
    );

    it("several processes opening a fresh store at once apply each migration exactly once", async () => {
      const results = await Promise.all([runChild("open"), runChild("open"), runChild("open")]);
      const applied = results.map((lines) => (JSON.parse(lines[0]!) as { applied: number[] }).applied);
      const known = MIGRATION_VERSIONS[adapter.kind];
      expect(applied.flat().sort()).toEqual(known);
      const store = await openStore(storeConfig);
      try {
        expect(store.appliedMigrations).toEqual([]);
      } finally {
        await store.close();
      }
      if (adapter.kind === "sqlite") {
        const db = new Database(path.join(storeConfig.dataDir, "toolforge.db"), { readonly: true });
        try {
          expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual(known.map((version) => ({ version })));
        } finally {
          db.close();
        }
      }
    });
  });
}

processContract({
  kind: "sqlite",
  fresh: () => ({ config: { dataDir: path.join(scratch, "data"), arango: null }, drop: async () => {} }),
});

const arango = await arangoTestServer();
if ("skip" in arango) {
  describe("store across processes: arango", () => {
    it.skip(`skipped — ${arango.skip}`, () => {});
  });
} else {
  afterAll(arango.stop);
  processContract({
    kind: "arango",
    fresh: () => {
      const { settings, drop } = freshArangoDatabase(arango.server);
      return { config: { dataDir: path.join(scratch, "data"), arango: settings }, drop };
    },
  });
}
