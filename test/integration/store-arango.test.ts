/**
 * Opening the ArangoDB store when it cannot work: an unreachable URL (runs anywhere), a server that
 * refuses the credentials (a stand-in HTTP server answering as ArangoDB does, so it runs anywhere),
 * and wrong credentials against a real server (only where one exists, see arangoTestServer).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { StoreUnavailableError } from "../../src/errors.js";
import { openStore } from "../../src/store/index.js";
import { arangoTestServer } from "../support/store.js";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "toolforge-arango-faults-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const arangoConfig = (url: string, user = "root", password = ""): Pick<Config, "dataDir" | "arango"> => ({
  dataDir,
  arango: { url, database: "toolforge", user, password },
});

async function openFailure(config: Pick<Config, "dataDir" | "arango">): Promise<StoreUnavailableError> {
  const error = await openStore(config).then(
    () => new Error("openStore succeeded where it should have failed"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  return error as StoreUnavailableError;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("ArangoDB store faults", () => {
  it("an unreachable ARANGO_URL names the URL and how to start the server", async () => {
    const error = await openFailure(arangoConfig("http://127.0.0.1:1"));
    expect(error.message).toContain("cannot reach ArangoDB at http://127.0.0.1:1");
    expect(error.message).toContain("docker compose up -d arangodb");
  });

  it("a closed port is reported the same way, with the connection error", async () => {
    const probe = createServer();
    const url = await listen(probe);
    await new Promise((resolve) => probe.close(resolve)); // nothing listens there any more
    const error = await openFailure(arangoConfig(url));
    expect(error.message).toContain(`cannot reach ArangoDB at ${url}`);
  });

  it("credentials refused by the server name the user, the database and ARANGO_USER/ARANGO_PASS, never the password", async () => {
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: true, code: 401, errorNum: 11, errorMessage: "not authorized to execute this request" }));
    });
    const url = await listen(server);
    try {
      const error = await openFailure(arangoConfig(url, "forge", "wrong-password"));
      expect(error.message).toContain(`ArangoDB at ${url} refused user "forge" for database "toolforge"`);
      expect(error.message).toContain("ARANGO_USER and ARANGO_PASS");
      expect(error.message).not.toContain("wrong-password");
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.every((r) => !/^(POST|PUT|PATCH|DELETE) /.test(r))).toBe(true); // nothing was written
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

const arango = await arangoTestServer();
describe("ArangoDB store faults against a real server", () => {
  if ("skip" in arango) {
    it.skip(`skipped — ${arango.skip}`, () => {});
    return;
  }
  afterAll(arango.stop);
  it("wrong credentials name the user and the database", async () => {
    const error = await openFailure(arangoConfig(arango.server.url, arango.server.user, `${arango.server.password}-wrong`));
    expect(error.message).toContain(`refused user "${arango.server.user}" for database "toolforge"`);
  });
});
