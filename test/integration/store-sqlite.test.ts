/**
 * What only the SQLite adapter has: its file settings, versioned migrations, faults on the files
 * (corrupt, unwritable), the append-only trigger, and restore's refusals and roll-forward.
 */
import { spawnSync, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, PROJECT_ROOT, type Config } from "../../src/config.js";
import { StoreUnavailableError } from "../../src/errors.js";
import { openStore, restoreStoreSnapshot } from "../../src/store/index.js";
import { storeFiles } from "../../src/store/sqlite/files.js";
import { migrate, MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { toolVersion } from "../support/store.js";

let scratch: string;
let config: Config;

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "toolforge-sqlite-"));
  config = loadConfig({ DATA_DIR: path.join(scratch, "data") });
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("SQLite store files and migrations", () => {
  it("creates DATA_DIR/toolforge.db in WAL mode with foreign keys on and a busy timeout", async () => {
    const store = await openStore(config);
    try {
      expect(store.kind).toBe("sqlite");
      expect(store.location).toBe(path.join(config.dataDir, "toolforge.db"));
      const db = new Database(store.location, { readonly: true });
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      db.close();
      // foreign keys are a per-connection setting: prove the store's connection enforces them
      await expect(store.createObject({ id: "child", prototypes: ["missing"] })).rejects.toThrow(/does not exist/);
    } finally {
      await store.close();
    }
  });

  it("creates the database and its WAL readable and writable by its owner only (it holds grants' credentials)", async () => {
    const store = await openStore(config);
    try {
      await store.recordGrant({ toolName: "rates", host: "api.example.com", version: 1, onlyThisVersion: false, decision: "granted" });
      for (const file of [store.location, `${store.location}-wal`]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it("applies migrations on the first open only; a second open and a second migrate are no-ops", async () => {
    const first = await openStore(config);
    expect(first.appliedMigrations).toEqual(MIGRATIONS.map((m) => m.version));
    await first.installToolVersion(toolVersion("kept"));
    await first.close();

    const second = await openStore(config);
    try {
      expect(second.appliedMigrations).toEqual([]);
      expect((await second.getTool("kept"))?.activeVersion).toBe(1);
    } finally {
      await second.close();
    }
    const db = new Database(storeFiles(config.dataDir).database);
    try {
      const rows = () => db.prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").all();
      const before = rows();
      expect(migrate(db, "test")).toEqual([]);
      expect(rows()).toEqual(before);
    } finally {
      db.close();
    }
  });

  it("applies a later migration to an existing database and records it once", async () => {
    const store = await openStore(config);
    await store.close();
    const db = new Database(storeFiles(config.dataDir).database);
    try {
      const extra = [...MIGRATIONS, { version: 99, name: "test: a later migration", sql: "CREATE TABLE later (x INTEGER)" }];
      expect(migrate(db, "test", extra)).toEqual([99]);
      expect(migrate(db, "test", extra)).toEqual([]);
      expect(db.prepare("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = 99").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it("refuses a database written by a newer schema, naming the versions", async () => {
    const store = await openStore(config);
    await store.close();
    const db = new Database(storeFiles(config.dataDir).database);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    db.close();
    const newest = Math.max(...MIGRATIONS.map((m) => m.version));
    await expect(openStore(config)).rejects.toThrow(`schema version 999, but this ToolForge knows versions up to ${newest}`);
  });

  it("refuses to change or delete a logged event", async () => {
    const store = await openStore(config);
    await store.appendEvent("test.kept", { n: 1 });
    await store.close();
    const db = new Database(storeFiles(config.dataDir).database);
    try {
      expect(() => db.prepare("UPDATE events SET type = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare("DELETE FROM events").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});

describe("SQLite store faults", () => {
  it("a corrupt database file is refused with the file and the fix named, and left byte for byte as it was", async () => {
    mkdirSync(config.dataDir, { recursive: true });
    const file = storeFiles(config.dataDir).database;
    const garbage = Buffer.from("this is not a database ".repeat(400));
    writeFileSync(file, garbage);
    const error = await openStore(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/restore the last archive .* or move .* away/);
    expect(readFileSync(file).equals(garbage)).toBe(true);
    expect(readdirSync(config.dataDir)).toEqual(["toolforge.db"]);
  });

  it("a data directory whose parent is a file is refused naming the directory", async () => {
    writeFileSync(path.join(scratch, "plain-file"), "x");
    const error = await openStore(loadConfig({ DATA_DIR: path.join(scratch, "plain-file", "data") })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/cannot create the data directory .*plain-file\/data/);
  });

  // Permission checks do not apply to root, so as root these run the open in a child as `nobody`.
  const asUnprivileged = (dataDir: string): { status: number | null; output: string } => {
    const script = path.join(scratch, "open-store.mjs");
    writeFileSync(
      script,
      `const { openStore } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/store/index.ts")).href)});
       const { loadConfig } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/config.ts")).href)});
       try { await openStore(loadConfig({ DATA_DIR: process.argv[2] })); console.log("OPENED"); }
       catch (error) { console.log(error.name + ": " + error.message); process.exit(3); }`,
    );
    chmodSync(scratch, 0o755);
    const root = process.getuid?.() === 0;
    const result = spawnSync(process.execPath, ["--import", "tsx", script, dataDir], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { ...process.env, HOME: scratch },
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    });
    return { status: result.status, output: result.stdout + result.stderr };
  };

  it("an unwritable data directory is refused naming the path and the permission fix", () => {
    const dataDir = path.join(scratch, "locked");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o555);
    const { status, output } = asUnprivileged(dataDir);
    expect(status).toBe(3);
    expect(output).toContain("StoreUnavailableError");
    expect(output).toContain(dataDir);
    expect(output).toMatch(/read and write permission/);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("a database file this user cannot write is refused naming the file, and left untouched", async () => {
    const dataDir = path.join(scratch, "shared");
    const seeded = await openStore(loadConfig({ DATA_DIR: dataDir }));
    await seeded.installToolVersion(toolVersion("kept"));
    await seeded.close();
    const file = storeFiles(dataDir).database;
    chmodSync(file, 0o444);
    if (process.getuid?.() === 0) chownSync(dataDir, 65534, 65534); // the directory is writable, the file is not
    const before = readFileSync(file);
    const { status, output } = asUnprivileged(dataDir);
    expect(status).toBe(3);
    expect(output).toContain(`cannot write ${file}`);
    expect(output).toMatch(/chmod u\+rw/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});

describe("SQLite snapshot restore", () => {
  async function seededSnapshot(): Promise<string> {
    const store = await openStore(config);
    await store.createObject({ id: "app", attributes: { v: "snapshot" } });
    await store.installToolVersion(toolVersion("snap_tool"));
    const dir = path.join(scratch, "snapshot");
    await store.exportSnapshot(dir);
    await store.installToolVersion(toolVersion("after_snapshot"));
    await store.close();
    return dir;
  }

  async function toolNames(): Promise<string[]> {
    const store = await openStore(config);
    try {
      return (await store.listTools()).map((t) => t.name);
    } finally {
      await store.close();
    }
  }

  it("refuses while a store on the data directory is open in this process", async () => {
    const dir = await seededSnapshot();
    const store = await openStore(config);
    try {
      await expect(restoreStoreSnapshot(config, dir)).rejects.toThrow(/a store on it is open in this process/);
    } finally {
      await store.close();
    }
    expect(await toolNames()).toEqual(["after_snapshot", "snap_tool"]);
  });

  it("refuses while another process has the store open, and changes nothing", async () => {
    const dir = await seededSnapshot();
    const script = path.join(scratch, "hold-open.mjs");
    writeFileSync(
      script,
      `const { openStore } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/store/index.ts")).href)});
       const { loadConfig } = await import(${JSON.stringify(pathToFileURL(path.join(PROJECT_ROOT, "src/config.ts")).href)});
       const store = await openStore(loadConfig({ DATA_DIR: process.argv[2] }));
       await store.registryRevision();
       console.log("OPEN");
       setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script, config.dataDir], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("OPEN") && resolve());
        child.on("exit", (code) => reject(new Error(`holder exited with ${code}`)));
      });
      await expect(restoreStoreSnapshot(config, dir)).rejects.toThrow(/is open in another process/);
      expect(readdirSync(config.dataDir).filter((f) => f.endsWith(".restoring"))).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    expect(await toolNames()).toEqual(["after_snapshot", "snap_tool"]);
  });

  it("refuses a snapshot whose database fails its integrity check, leaving the live store untouched", async () => {
    const dir = await seededSnapshot();
    const snapshotDb = path.join(dir, "toolforge.db");
    const bytes = readFileSync(snapshotDb);
    bytes.fill(0x5a, 4096, 8192); // clobber the second page
    writeFileSync(snapshotDb, bytes);
    await expect(restoreStoreSnapshot(config, dir)).rejects.toThrow(/is not a sound SQLite database .* live store was left untouched/);
    expect(readdirSync(config.dataDir).filter((f) => f.includes("restor"))).toEqual([]);
    expect(await toolNames()).toEqual(["after_snapshot", "snap_tool"]);
  });

  it("refuses a directory that is not a snapshot, and one of the other kind of store", async () => {
    await expect(restoreStoreSnapshot(config, scratch)).rejects.toThrow(/store-snapshot.json is missing/);
    const dir = await seededSnapshot();
    const manifest = JSON.parse(readFileSync(path.join(dir, "store-snapshot.json"), "utf8")) as { kind: string };
    writeFileSync(path.join(dir, "store-snapshot.json"), JSON.stringify({ ...manifest, kind: "arango" }));
    await expect(restoreStoreSnapshot(config, dir)).rejects.toThrow(/snapshot of a arango store, but the configured store is sqlite/);
  });

  it("restores over a corrupt live database", async () => {
    const dir = await seededSnapshot();
    writeFileSync(storeFiles(config.dataDir).database, "garbage ".repeat(1000));
    rmSync(`${storeFiles(config.dataDir).database}-wal`, { force: true });
    await restoreStoreSnapshot(config, dir);
    expect(await toolNames()).toEqual(["snap_tool"]);
  });

  it("restores into a data directory that does not exist yet", async () => {
    const dir = await seededSnapshot();
    config = loadConfig({ DATA_DIR: path.join(scratch, "new-machine", "data") });
    await restoreStoreSnapshot(config, dir);
    expect(await toolNames()).toEqual(["snap_tool"]);
  });

  it("finishes a restore that was interrupted after its journal was written, on the next open", async () => {
    const dir = await seededSnapshot();
    const files = storeFiles(config.dataDir);
    // The state a crash leaves between writing the journal and the renames: staged copy + journal.
    copyFileSync(path.join(dir, "toolforge.db"), `${files.database}.restoring`);
    writeFileSync(
      files.journal,
      JSON.stringify([
        { live: files.database, staged: `${files.database}.restoring` },
        { live: files.checkpoints, staged: null },
      ]),
    );
    expect(await toolNames()).toEqual(["snap_tool"]);
    expect(existsSync(files.journal)).toBe(false);
    expect(existsSync(`${files.database}.restoring`)).toBe(false);
  });
});
