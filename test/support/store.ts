/**
 * Test helper for everyone who needs a store: a fresh, empty SQLite store in its own temporary
 * directory.
 *
 *   const { store, dataDir, config, cleanup } = await tempStore();
 *   try { …use store… } finally { await cleanup(); }   // closes the store, removes the directory
 *
 * `config` is a full Config (loadConfig({ DATA_DIR })) so it can be handed to code that opens its
 * own store on the same data, e.g. a second process or `openStore(config)` after a restart.
 * Options (e.g. the test-only `beforeCommit` hook) are passed through to `openStore`.
 *
 * The store's own tests also use the ArangoDB helpers further down (arangoTestServer,
 * tempArangoStore, freshArangoDatabase); other tests need only tempStore.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig, type Config } from "../../src/config.js";
import {
  openStore,
  sha256Hex,
  type NewMethodVersion,
  type NewToolVersion,
  type OpenStoreOptions,
  type Store,
} from "../../src/store/index.js";

export interface TempStore {
  store: Store;
  dataDir: string;
  config: Config;
  cleanup: () => Promise<void>;
}

export async function tempStore(options: OpenStoreOptions = {}): Promise<TempStore> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "toolforge-store-"));
  const config = loadConfig({ DATA_DIR: dataDir });
  const store = await openStore(config, options);
  return {
    store,
    dataDir,
    config,
    cleanup: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- ArangoDB for the store's own tests

export interface ArangoServer {
  url: string;
  user: string;
  password: string;
}

/**
 * A real ArangoDB server for tests, or the reason there is none: ARANGO_URL (with ARANGO_USER /
 * ARANGO_PASS) when set; else a container from @testcontainers/arangodb when Docker can pull
 * `arangodb:3.12` (TOOLFORGE_TEST_ARANGO_CONTAINER=off skips trying). `stop` ends that container.
 */
export async function arangoTestServer(): Promise<{ server: ArangoServer; stop: () => Promise<void> } | { skip: string }> {
  const env = process.env;
  if (env["ARANGO_URL"]) {
    return {
      server: { url: env["ARANGO_URL"], user: env["ARANGO_USER"] ?? "root", password: env["ARANGO_PASS"] ?? "" },
      stop: async () => {},
    };
  }
  const noServer = "no ArangoDB server: ARANGO_URL is not set";
  if (env["TOOLFORGE_TEST_ARANGO_CONTAINER"] === "off") return { skip: `${noServer} and TOOLFORGE_TEST_ARANGO_CONTAINER=off` };
  // testcontainers 12 (through undici 8) cannot even be loaded before Node 22.22.
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 22)) {
    return {
      skip: `${noServer}, and @testcontainers/arangodb needs Node >= 22.22 (this is Node ${process.versions.node}); set ARANGO_URL to run these tests`,
    };
  }
  try {
    const { ArangoDBContainer } = await import("@testcontainers/arangodb");
    const container = await new ArangoDBContainer("arangodb:3.12", "test-password").start();
    return {
      server: { url: container.getHttpUrl(), user: container.getUsername(), password: container.getPassword() },
      stop: async () => {
        await container.stop();
      },
    };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    return {
      skip:
        `${noServer} and Docker could not start arangodb:3.12 (${reason}). ` +
        "Expected on a machine that reaches no container registry; set ARANGO_URL to run these tests",
    };
  }
}

/** Settings for a new, uniquely named database on `server` (created on first open), and how to drop it. */
export function freshArangoDatabase(server: ArangoServer): { settings: NonNullable<Config["arango"]>; drop: () => Promise<void> } {
  const database = `toolforge_test_${randomUUID().replace(/-/g, "")}`;
  return { settings: { ...server, database }, drop: () => dropArangoDatabase({ ...server, database }) };
}

/** Like tempStore, for ArangoDB: a store on a fresh database; cleanup closes it and drops the database. */
export async function tempArangoStore(server: ArangoServer): Promise<TempStore> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "toolforge-arango-"));
  const { settings, drop } = freshArangoDatabase(server);
  const config: Config = { ...loadConfig({ DATA_DIR: dataDir }), arango: settings };
  const store = await openStore(config);
  return {
    store,
    dataDir,
    config,
    cleanup: async () => {
      await store.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Drops a test database (ignores one that is already gone). */
export async function dropArangoDatabase(arango: ArangoServer & { database: string }): Promise<void> {
  const { Database } = await import("arangojs");
  const system = new Database({ url: arango.url, auth: { username: arango.user, password: arango.password } });
  try {
    if (await system.database(arango.database).exists()) await system.dropDatabase(arango.database);
  } finally {
    system.close();
  }
}

/** What a test may set on a tool version; `sha256` is always that of `compiled`, `source` is `compiled` unless given. */
export type ToolVersionFields = Partial<Omit<NewToolVersion, "toolName" | "sha256">>;

/**
 * A tool version for tests of the store, the registry and the faces: its module's default export
 * runs `body` (or is `fields.compiled`); nothing runs it unless a test gives it a sandbox.
 *
 *   toolVersion("word_count", "return 2;", { description: "Counts words.", schema })
 */
export function toolVersion(toolName: string, body = "return 1;", fields: ToolVersionFields = {}): NewToolVersion {
  const compiled = fields.compiled ?? `export default function ${toolName}() { ${body} }`;
  return {
    toolName,
    description: `the ${toolName} tool`,
    schema: { type: "object", properties: {} },
    source: compiled,
    forgeRunId: null,
    ...fields,
    compiled,
    sha256: sha256Hex(compiled),
  };
}

/** What a test may set on a method version; as for tools, `sha256` is that of `compiled`. */
export type MethodVersionFields = Partial<Omit<NewMethodVersion, "objectId" | "selector" | "sha256">>;

/** A method version for tests: its module's default export takes `self` and runs `body` (or is `fields.compiled`). */
export function methodVersion(
  objectId: string,
  selector: string,
  body = "return self;",
  fields: MethodVersionFields = {},
): NewMethodVersion {
  const compiled = fields.compiled ?? `export default function ${selector}(self) { ${body} }`;
  return {
    objectId,
    selector,
    description: `${selector} on ${objectId}`,
    source: compiled,
    forgeRunId: null,
    ...fields,
    compiled,
    sha256: sha256Hex(compiled),
  };
}

/**
 * A tool version whose module the sandbox's runner really calls: it exports what the contract asks
 * of a tool (name, description, schema; `hosts` when given) and its default export runs `body`.
 * Installed straight into the store, it skips admission (no audit, no validation).
 */
export function runnableToolVersion(toolName: string, body = "return 1;", hosts: string[] = []): NewToolVersion {
  const description = `the ${toolName} tool`;
  const compiled = [
    `export const name = ${JSON.stringify(toolName)};`,
    `export const description = ${JSON.stringify(description)};`,
    `export const schema = { type: "object", properties: {} };`,
    ...(hosts.length ? [`export const hosts = ${JSON.stringify(hosts)};`] : []),
    `export default async function ${toolName}(args, ctx) { ${body} }`,
    `export function test() {}`,
  ].join("\n");
  return toolVersion(toolName, body, { description, compiled, hosts });
}
