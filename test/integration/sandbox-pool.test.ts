/**
 * The warm pool's own promises: containers kept ahead, a hanging job does not block the others, a
 * burst beyond the pool waits within the bound and the pool refills, a container that dies while
 * waiting is replaced, and shutdown leaves no container. (Its walls: sandbox-walls-pool.test.ts;
 * what one job leaves for the next: sandbox-isolation.test.ts; the bound and the queue:
 * sandbox-backpressure.test.ts.)
 */
import Docker from "dockerode";
import { expect, it } from "vitest";
import { SandboxPool } from "../../src/sandbox/pool.js";
import { OWNER_LABEL, POOL_LABEL } from "../../src/sandbox/labels.js";
import { currentProcess, formatIdentity } from "../../src/util/process-identity.js";
import { jobSucceeded, type SandboxJob } from "../../src/sandbox/types.js";
import { createTestSandbox, describeSandbox } from "../support/sandbox.js";
import { untilPresent } from "../support/until.js";

const docker = new Docker();
const ownLabel = `${OWNER_LABEL}=${formatIdentity(currentProcess())}`;

function call(module: string, extra: Partial<SandboxJob> = {}): SandboxJob {
  return { action: "call", contract: "method", module, ...extra };
}

async function ownContainers(filter: { pooled?: boolean; running?: boolean } = {}) {
  const labels = [ownLabel, ...(filter.pooled ? [`${POOL_LABEL}=1`] : [])];
  return docker.listContainers({ all: !filter.running, filters: { label: labels } });
}

describeSandbox(
  "the warm sandbox pool",
  (sandbox) => {
    const pool = () => {
      const instance = sandbox();
      if (!(instance instanceof SandboxPool)) throw new Error("expected createSandbox to return the pool for SANDBOX_POOL_SIZE=2");
      return instance;
    };

    it("keeps the configured number of containers started ahead, with node waiting for a job", async () => {
      await pool().whenReady();
      expect(pool().stats().ready).toBe(2);
      const running = await ownContainers({ pooled: true, running: true });
      expect(running.length).toBeGreaterThanOrEqual(2);
    });

    it("runs a job in a warm container", async () => {
      await pool().whenReady();
      const before = pool().stats().warmTakes;
      const result = await pool().run(call(`export default function f(self, a, b) { return a + b; }`, { input: { args: [2, 3] } }));
      expect(jobSucceeded(result)).toBe(true);
      expect(result.report?.result).toBe(5);
      expect(pool().stats().warmTakes).toBe(before + 1);
    });

    it("returns the whole stderr of a job that ends by its report, with the runner's own lines removed", async () => {
      await pool().whenReady();
      const module = `export default function f() {}
      export function test() { console.error("a warning before failing"); throw new Error("boom"); }`;
      const result = await pool().run({ action: "validate", contract: "method", module });
      expect(result.report?.error?.message).toBe("boom");
      expect(result.stderr).toBe("a warning before failing\n");
      expect(result.stdout).toBe("");
    });

    it("kills a hanging job at its timeout without blocking other jobs", async () => {
      await pool().whenReady();
      let hangingDone = false;
      const hanging = pool()
        .run(call(`export default function f() { for (;;) {} }`, { timeoutMs: 5_000 }))
        .finally(() => (hangingDone = true));
      const quick = await pool().run(call(`export default function f() { return "quick"; }`));
      expect(quick.report?.result).toBe("quick");
      expect(hangingDone).toBe(false);
      const hung = await hanging;
      expect(hung.timedOut).toBe(true);
      expect(jobSucceeded(hung)).toBe(false);
      const after = await pool().run(call(`export default function f() { return "after"; }`));
      expect(after.report?.result).toBe("after");
    });

    it("runs a burst larger than the pool (the overflow waits for containers, within the bound) and refills afterwards", async () => {
      await pool().whenReady();
      const waitedBefore = pool().stats().waited;
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, n) => pool().run(call(`export default function f(self, n) { return n; }`, { input: { args: [n] } }))),
      );
      expect(results.map((r) => r.report?.result)).toEqual([0, 1, 2, 3, 4]);
      expect(pool().stats().waited).toBeGreaterThan(waitedBefore);
      expect(pool().stats().peakContainers).toBeLessThanOrEqual(pool().settings.maxContainers);
      await pool().whenReady();
      expect(pool().stats().ready).toBeGreaterThanOrEqual(2);
    });

    it("notices a pooled container that died while waiting and replaces it", async () => {
      await pool().whenReady();
      // Every running container waits (none is clearing a job or starting), so the victim is a waiting one.
      await untilPresent("a quiet pool", () => pool().stats().busy === 0 && pool().stats().starting === 0);
      const diedBefore = pool().stats().diedWhileWaiting;
      const [victim] = await ownContainers({ pooled: true, running: true });
      expect(victim).toBeDefined();
      await docker.getContainer(victim!.Id).kill();
      await untilPresent("the pool to notice the dead container", () => pool().stats().diedWhileWaiting > diedBefore);
      await pool().whenReady();
      const result = await pool().run(call(`export default function f() { return "served"; }`));
      expect(result.report?.result).toBe("served");
    });
  },
  { sandbox: { poolSize: 2 } },
);

describeSandbox(
  "shutting the pool down",
  () => {
    it("removes every container, waiting or busy, and refuses later jobs", async () => {
      const own = await createTestSandbox({ poolSize: 2 });
      expect(own).toBeInstanceOf(SandboxPool);
      await (own as SandboxPool).whenReady();
      const busy = own.run(call(`export default function f() { for (;;) {} }`, { timeoutMs: 60_000 }));
      await untilPresent("the busy job's container", async () => (await ownContainers({ running: true })).length >= 2);
      await own.close();
      const interrupted = await busy;
      expect(jobSucceeded(interrupted)).toBe(false);
      await expect(own.run(call(`export default function f() {}`))).rejects.toThrow(/closed/);
      expect(await ownContainers()).toEqual([]);
    });
  },
  { sandbox: { poolSize: 0 } },
);
