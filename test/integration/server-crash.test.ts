/**
 * A real `toolforge serve` child SIGKILLed with work in flight, then started again on the same data:
 *   - nothing stays pending or running: the message that was running fails as "interrupted by a
 *     restart" (never run twice); every message that had not started runs exactly once after the
 *     restart, in the order it was sent;
 *   - the sandbox container of a call that spins forever does not outlive the job's deadline,
 *     although no host process is left to kill it, and the next start removes it.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openStore } from "../../src/store/index.js";
import { ABANDONED_EXIT_CODE, DEADLINE_EXIT_CODE } from "../../src/sandbox/deadline.js";
import { readLabels, SANDBOX_LABEL } from "../../src/sandbox/labels.js";
import { INTERRUPTED_MESSAGE } from "../../src/store/ownership.js";
import { currentProcess } from "../../src/util/process-identity.js";
import { describeSandbox } from "../support/sandbox.js";
import { methodVersion } from "../support/store.js";
import { until } from "../support/until.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { spawnCli, tempDirs } from "./cli-harness.js";

const TICKS = 6;
const docker = new Docker();

let dirs: ReturnType<typeof tempDirs>;
let ollama: ScriptedOllama;
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  dirs = tempDirs();
  ollama = await ScriptedOllama.start({ respond: () => "nothing to say" });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await ollama.close();
  dirs.cleanup();
});

function serve(extra: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; url: Promise<string> } {
  const env = {
    ...dirs.env,
    OLLAMA_HOST: ollama.url,
    PORT: "0",
    SANDBOX_POOL_SIZE: "2",
    SANDBOX_TIMEOUT_MS: "120000",
    ...extra,
  };
  const child = spawnCli(["serve"], env, dirs.dir);
  children.push(child);
  let stderr = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("close", (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
  });
  child.stdout.resume();
  return { child, url };
}

async function post(url: string, selector: string, target = "counter"): Promise<string> {
  const response = await fetch(`${url}/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ target_object_id: target, method_name: selector }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { message_id: string }).message_id;
}

interface MessageJson {
  status: string;
  result?: unknown;
  error?: string;
}

async function message(url: string, id: string): Promise<MessageJson> {
  const response = await fetch(`${url}/message/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as MessageJson;
}

/** Server starts and restarts under a loaded CI machine can take minutes. */
const SLOW = { timeoutMs: 240_000 };

/** What `docker rm --force` leaves as a running container's exit code (SIGKILL) in the moment before it is removed. */
const FORCE_REMOVED_EXIT_CODE = 137;

describeSandbox(
  "a server killed with messages in flight, then restarted",
  () => {
    it("fails the running message as interrupted and runs every pending one exactly once", async () => {
      const store = await openStore(loadConfig({ DATA_DIR: dirs.env.DATA_DIR! }));
      try {
        await store.createObject({ id: "counter", attributes: { count: 0 } });
        await store.installMethodVersion(
          methodVersion("counter", "slow", "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600000); return 'woke';"),
        );
        await store.installMethodVersion(methodVersion("counter", "tick", "self.count += 1; return self.count;"));
      } finally {
        await store.close();
      }

      const first = serve();
      const firstUrl = await first.url;
      const slow = await post(firstUrl, "slow");
      const ticks: string[] = [];
      for (let i = 0; i < TICKS; i++) ticks.push(await post(firstUrl, "tick"));
      await until(
        "the slow message",
        () => message(firstUrl, slow),
        (m) => m.status === "running",
        SLOW,
      );
      expect((await message(firstUrl, ticks[0]!)).status).toBe("pending"); // queued behind the slow one on the same object

      const killed = once(first.child, "close");
      first.child.kill("SIGKILL");
      await killed;

      const second = serve();
      const url = await second.url;
      const interrupted = await until(
        "the slow message",
        () => message(url, slow),
        (m) => m.status !== "running" && m.status !== "pending",
        SLOW,
      );
      expect(interrupted).toMatchObject({ status: "failed", error: INTERRUPTED_MESSAGE });
      const results = [];
      for (const id of ticks)
        results.push(
          await until(
            `tick ${id}`,
            () => message(url, id),
            (m) => m.status === "done" || m.status === "failed",
            SLOW,
          ),
        );
      expect(results.map((m) => [m.status, m.result])).toEqual(ticks.map((_, i) => ["done", i + 1]));
      const counter = (await (await fetch(`${url}/objects/counter`)).json()) as { attributes: { count: number } };
      expect(counter.attributes.count).toBe(TICKS);

      const stopped = once(second.child, "close");
      second.child.kill("SIGTERM");
      await stopped;
    });

    it("SIGKILLed during a call that spins forever, leaves no container running past the job's deadline, and the next start removes it", async () => {
      const store = await openStore(loadConfig({ DATA_DIR: dirs.env.DATA_DIR! }));
      try {
        await store.createObject({ id: "spinner" });
        await store.installMethodVersion(methodVersion("spinner", "spin", "for (;;) {}"));
      } finally {
        await store.close();
      }
      const timeoutMs = 15_000;
      const first = serve({ SANDBOX_POOL_SIZE: "0", SANDBOX_TIMEOUT_MS: String(timeoutMs) });
      const firstUrl = await first.url;
      const spin = await post(firstUrl, "spin", "spinner");
      const container = await until(
        "the spinning call's container",
        () => containerOf(first.child.pid!),
        (c) => c?.State === "running",
        SLOW,
      );

      const killed = once(first.child, "close");
      first.child.kill("SIGKILL");
      await killed;
      // Nobody on the host kills it now: the container ends the job itself (at the latest at its deadline).
      const ended = await until(
        "the orphaned container",
        () => inspect(container!.Id),
        (s) => s === null || !s.Running,
        { timeoutMs: timeoutMs + 60_000 },
      );
      if (ended?.ExitCode === FORCE_REMOVED_EXIT_CODE) {
        // Another ToolForge on this machine (a test file running in parallel) started meanwhile, and its reaper
        // may remove a container whose owner is certainly dead (rule 1 of sandbox/reaper.ts): the engine kills it
        // first, then removes it. A container killed by anyone else would stay.
        expect(
          await until(
            "the force-removed container",
            () => inspect(container!.Id),
            (s) => s === null,
            { timeoutMs: 30_000 },
          ),
        ).toBeNull();
      } else if (ended) {
        expect([ABANDONED_EXIT_CODE, DEADLINE_EXIT_CODE]).toContain(ended.ExitCode);
      }

      const second = serve();
      const url = await second.url; // its start removed the dead server's container
      expect(await inspect(container!.Id)).toBeNull();
      expect(await message(url, spin)).toMatchObject({ status: "failed", error: INTERRUPTED_MESSAGE });
      const stopped = once(second.child, "close");
      second.child.kill("SIGTERM");
      await stopped;
    });
  },
  { sandbox: { poolSize: 0 } },
);

/** The sandbox container a process of this PID namespace owns, if any. */
async function containerOf(pid: number): Promise<Docker.ContainerInfo | undefined> {
  const all = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=1`] } });
  const here = currentProcess().pidNamespace;
  return all.find((info) => {
    const owner = readLabels(info.Labels).owner;
    return owner?.pid === pid && owner.pidNamespace === here;
  });
}

async function inspect(id: string): Promise<Docker.ContainerInspectInfo["State"] | null> {
  try {
    return (await docker.getContainer(id).inspect()).State;
  } catch {
    return null;
  }
}
