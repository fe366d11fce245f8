/**
 * The real gVisor sandbox in tests.
 *
 *   import { describeSandbox } from "../support/sandbox.js";
 *   import { jobSucceeded } from "../../src/sandbox/index.js";
 *
 *   describeSandbox("the forge validates in gVisor", (sandbox) => {
 *     it("passes a module whose test passes", async () => {
 *       const result = await sandbox().run({ action: "validate", module: js });
 *       expect(jobSucceeded(result)).toBe(true);
 *     });
 *   });
 *
 * - One sandbox per `describeSandbox` block: created (through `createSandbox`, so with the pool of
 *   SANDBOX_POOL_SIZE, default 2) in `beforeAll`, closed in `afterAll`. Call `sandbox()` inside tests
 *   or hooks, not at collection time.
 * - Settings: the product defaults, plus any SANDBOX_* variable of the environment, plus
 *   `options.sandbox` (e.g. `{ poolSize: 0, timeoutMs: 3000 }`).
 * - When Docker, the runtime or the image is missing: with CI=true the block FAILS with the
 *   preflight message (CI must run every sandbox test); elsewhere its tests are skipped, and the
 *   reason is in the skipped test's name and printed once.
 * - Lower level: `sandboxProblem` (null, or why the sandbox cannot run here), `testSandboxConfig()`,
 *   `createTestSandbox()` (you close it).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { loadConfig, type Config, type Env } from "../../src/config.js";
import { checkSandbox } from "../../src/sandbox/preflight.js";
import { createSandbox } from "../../src/sandbox/index.js";
import type { Sandbox } from "../../src/sandbox/types.js";

export type SandboxOverrides = Partial<Config["sandbox"]>;

/** The configuration tests use: product defaults + SANDBOX_* from the environment + overrides. */
export function testSandboxConfig(overrides: SandboxOverrides = {}): Config {
  const env: Env = {};
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith("SANDBOX_")) env[name] = value;
  const config = loadConfig(env);
  return { ...config, sandbox: { ...config.sandbox, ...overrides } };
}

async function findProblem(): Promise<string | null> {
  const checks = await checkSandbox(testSandboxConfig());
  const failed = Object.entries(checks).find(([, check]) => !check.ok);
  if (!failed) return null;
  const [name, check] = failed;
  return `sandbox ${name} check failed: ${check.detail}${check.fix ? ` — fix: ${check.fix}` : ""}`;
}

/** Null when the sandbox can run here; otherwise the preflight message saying what is missing. */
export const sandboxProblem: string | null = await findProblem();

const mustRun = process.env.CI === "true" || process.env.CI === "1";
let warned = false;

/** A sandbox with the test settings (see the top of this file). The caller closes it. */
export async function createTestSandbox(overrides: SandboxOverrides = {}): Promise<Sandbox> {
  return createSandbox(testSandboxConfig(overrides), { diagnostics: { warn: () => undefined } });
}

export function describeSandbox(name: string, body: (sandbox: () => Sandbox) => void, options: { sandbox?: SandboxOverrides } = {}): void {
  if (sandboxProblem !== null) {
    if (mustRun) {
      describe(name, () => {
        it("needs the gVisor sandbox (CI=true: sandbox tests must run)", () => {
          throw new Error(sandboxProblem);
        });
      });
      return;
    }
    if (!warned) {
      warned = true;
      console.warn(`skipping sandbox tests: ${sandboxProblem}`);
    }
    describe.skip(name, () => {
      it(`skipped: ${sandboxProblem}`, () => undefined);
    });
    return;
  }
  describe(name, () => {
    let instance: Sandbox | undefined;
    beforeAll(async () => {
      instance = await createTestSandbox(options.sandbox);
    });
    afterAll(async () => {
      await instance?.close();
    });
    body(() => {
      if (!instance) throw new Error("the test sandbox is not ready: call sandbox() inside a test or hook, not at collection time");
      return instance;
    });
  });
}
