/**
 * Defence in depth: the audit is the second wall. With it switched off (validateModule's test-only
 * `audit: false`), the whole hostile corpus runs in the gVisor sandbox, and nothing reaches the
 * host. Before the run the test opens a TCP listener on the host (HTTP arrives through it too),
 * writes a marker file with a random name and content into a watched directory, and sets a marker
 * environment variable. Each module's attack, once it has escaped JavaScript's in-process walls
 * (which it does: that is why the container exists), runs a payload that tries to read the
 * variable and the file, list and write the directory, run a shell, and connect to the listener.
 * Afterwards: no connection arrived, no job's output carries either marker's value, and the
 * watched directory holds exactly what it held before.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo, type Server } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { validateModule, type ValidationResult } from "../../src/admission/validate.js";
import { loadHostileCorpus, PAYLOAD_PLACEHOLDER, URL_PLACEHOLDER } from "../fixtures/hostile/corpus.js";
import { describeSandbox } from "../support/sandbox.js";

/** Jobs in flight at once (the pool keeps two containers warm; the machine has two cores). */
const CONCURRENCY = 2;
const JOB_TIMEOUT_MS = 8_000;
const PAYLOAD_MARK = "TF_PAYLOAD_RAN";

interface HostTraps {
  port: number;
  hosts: string[];
  connections: string[];
  watchDir: string;
  markerFile: string;
  markerContent: string;
  envName: string;
  envValue: string;
  before: string[];
  server: Server;
}

/** Every address of this host a container could try: loopback, its interfaces, Docker's bridge. */
function hostAddresses(): string[] {
  const found = new Set(["127.0.0.1", "172.17.0.1", "host.docker.internal"]);
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === "IPv4") found.add(entry.address);
  }
  return [...found];
}

/**
 * The payload: the body of a plain function (it runs through Function, eval, AsyncFunction or
 * vm.runInThisContext, depending on the attack) that uses `process` from the global scope.
 */
function payloadSource(traps: HostTraps): string {
  return `return (async () => {
  const MARKER_FILE = ${JSON.stringify(traps.markerFile)};
  const WATCH_DIR = ${JSON.stringify(traps.watchDir)};
  const ENV_NAME = ${JSON.stringify(traps.envName)};
  const HOSTS = ${JSON.stringify(traps.hosts)};
  const PORT = ${traps.port};
  const seen = [];
  const note = (what, value) => seen.push(what + "=" + String(value).slice(0, 300).replace(/\\s+/g, " "));
  let fs, net, cp;
  try { fs = process.getBuiltinModule("node:fs"); net = process.getBuiltinModule("node:net"); cp = process.getBuiltinModule("node:child_process"); } catch (e) { note("modules!", e.message); }
  try { note("env", process.env[ENV_NAME]); } catch (e) { note("env!", e.message); }
  try { note("file", fs.readFileSync(MARKER_FILE, "utf8")); } catch (e) { note("file!", e.code || e.message); }
  try { note("dir", fs.readdirSync(WATCH_DIR).join(",")); } catch (e) { note("dir!", e.code || e.message); }
  try { fs.writeFileSync(WATCH_DIR + "/escaped.txt", "escaped"); note("write", "ok"); } catch (e) { note("write!", e.code || e.message); }
  try { note("shell", cp.execSync("cat " + MARKER_FILE + " 2>&1; echo $" + ENV_NAME, { timeout: 2000 }).toString()); } catch (e) { note("shell!", e.code || e.message); }
  await Promise.all(HOSTS.map((host) => new Promise((done) => {
    try {
      const socket = net.connect({ host, port: PORT, timeout: 1500 }, () => { note("connect", host); socket.end("escaped"); done(); });
      socket.on("error", (e) => { note("connect!", host + " " + e.code); done(); });
      socket.on("timeout", () => { note("connect!", host + " timeout"); socket.destroy(); done(); });
    } catch (e) { note("connect!", e.message); done(); }
  })));
  try { await fetch("http://" + HOSTS[0] + ":" + PORT + "/escaped", { signal: AbortSignal.timeout(1500) }); note("fetch", "ok"); } catch (e) { note("fetch!", e.message); }
  process.stdout.write(${JSON.stringify(PAYLOAD_MARK)} + " " + seen.join(" | ") + "\\n");
})();`;
}

async function startListener(connections: string[]): Promise<Server> {
  const server = createServer((socket) => {
    connections.push(`${socket.remoteAddress}:${socket.remotePort}`);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "0.0.0.0", () => resolve());
  });
  return server;
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the input order in the results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Everything a job produced that could carry a stolen value back. */
function everythingSaid(result: ValidationResult): string {
  return [
    result.failure ?? "",
    result.sandbox?.stdout ?? "",
    result.sandbox?.stderr ?? "",
    JSON.stringify(result.sandbox?.report ?? null),
  ].join("\n");
}

describeSandbox(
  "defence in depth: the hostile corpus with the audit off",
  (sandbox) => {
    const corpus = loadHostileCorpus();
    let traps: HostTraps;

    beforeAll(async () => {
      const connections: string[] = [];
      const server = await startListener(connections);
      const watchDir = mkdtempSync(path.join(tmpdir(), "tf-defence-"));
      const markerFile = path.join(watchDir, `marker-${randomBytes(8).toString("hex")}.txt`);
      const markerContent = `marker-content-${randomBytes(16).toString("hex")}`;
      writeFileSync(markerFile, markerContent);
      const envName = `TF_DEFENCE_MARKER_${randomBytes(4).toString("hex").toUpperCase()}`;
      const envValue = `marker-env-${randomBytes(16).toString("hex")}`;
      process.env[envName] = envValue;
      traps = {
        port: (server.address() as AddressInfo).port,
        hosts: hostAddresses(),
        connections,
        watchDir,
        markerFile,
        markerContent,
        envName,
        envValue,
        before: readdirSync(watchDir).sort(),
        server,
      };
    });

    afterAll(async () => {
      if (!traps) return;
      delete process.env[traps.envName];
      await new Promise<void>((resolve) => traps.server.close(() => resolve()));
      rmSync(traps.watchDir, { recursive: true, force: true });
    });

    it("notices a connection to its listener (the trap works)", async () => {
      await new Promise<void>((resolve, reject) => {
        const socket = createConnection({ host: "127.0.0.1", port: traps.port }, () => socket.end());
        socket.on("close", () => resolve());
        socket.on("error", reject);
      });
      await expect.poll(() => traps.connections.length).toBe(1);
      traps.connections.length = 0;
    });

    it(
      "runs every hostile module in the sandbox and nothing reaches the host: no connection, no marker read out, no new file",
      async () => {
        const payload = JSON.stringify(payloadSource(traps));
        const url = JSON.stringify(`http://${traps.hosts[0]}:${traps.port}/escaped`);
        const runs = await mapLimited(corpus, CONCURRENCY, async (fixture) => {
          const source = fixture.source.replaceAll(PAYLOAD_PLACEHOLDER, payload).replaceAll(URL_PLACEHOLDER, url);
          expect(source.split("\n").length, fixture.file).toBe(fixture.source.split("\n").length);
          const result = await validateModule({ source, contract: "tool", sandbox: sandbox(), audit: false, timeoutMs: JOB_TIMEOUT_MS });
          return { fixture, result };
        });

        // Every module the compiler accepts went into the sandbox.
        const refusedByCompiler = runs.filter(({ result }) => result.stage === "transpile").map(({ fixture }) => fixture.file);
        expect(refusedByCompiler).toEqual(corpus.filter((f) => f.expect.some((e) => e.rule === "transpile")).map((f) => f.file));
        const ran = runs.filter(({ result }) => result.sandbox !== null);
        expect(ran.length).toBe(corpus.length - refusedByCompiler.length);
        expect(ran.length).toBeGreaterThanOrEqual(25);

        // The attacks are real: plain code escaped JavaScript's walls inside the sandbox and ran the payload…
        const escaped = ran.filter(({ result }) => result.sandbox!.stdout.includes(PAYLOAD_MARK)).map(({ fixture }) => fixture.file);
        expect(escaped).toContain("01-constructor-chain.ts");
        expect(escaped).toContain("03-computed-global-process.ts");
        expect(escaped).toContain("07-indirect-eval.ts");
        expect(escaped.length).toBeGreaterThanOrEqual(15); // 18 of 42 on Node 20.20

        // …and still nothing reached the host.
        expect(traps.connections).toEqual([]);
        for (const { fixture, result } of runs) {
          const said = everythingSaid(result);
          expect(said.includes(traps.markerContent), `${fixture.file} read the marker file`).toBe(false);
          expect(said.includes(traps.envValue), `${fixture.file} read the marker variable`).toBe(false);
        }
        expect(readdirSync(traps.watchDir).sort()).toEqual(traps.before);
        expect(readFileSync(traps.markerFile, "utf8")).toBe(traps.markerContent);
      },
      15 * 60_000,
    );
  },
  { sandbox: { poolSize: CONCURRENCY } },
);
