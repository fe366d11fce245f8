/**
 * The composite problems of `npm run bench:forge -- --composite` are solvable by composing: the
 * HumanEval-X library is admitted through the real admission (each tool's own test is its dataset's
 * tests, run in gVisor), the forge's search offers each problem's intended tools as building blocks,
 * and every reference module (uses + ctx.tools) is admitted with its pins and passes its hidden
 * tests in the sandbox, graded exactly as the bench grades a forged tool.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { installLibrary, libraryModules } from "../../bench/forge-bench-compose.js";
import { COMPOSITES, compositeProblem, compositeSpec, LIBRARY, referenceModule } from "../../bench/forge-bench-composites.js";
import { gradeInstalled } from "../../bench/forge-bench-run.js";
import { loadConfig } from "../../src/config.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { describeSandbox } from "../support/sandbox.js";

describeSandbox("the composite problems of bench:forge, solved by their reference modules", (sandbox) => {
  let dir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-composites-"));
    const env = { ARANGO_URL: "" };
    await installLibrary(env, sandbox(), dir);
    runtime = await createRuntime(loadConfig({ ...env, DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "tools") }), {
      sandbox: sandbox(),
    });
  }, 120_000);

  afterAll(async () => {
    await runtime?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("admits every library tool from its HumanEval-X problem, version 1", async () => {
    expect(libraryModules()).toHaveLength(Object.keys(LIBRARY).length);
    for (const name of Object.keys(LIBRARY)) {
      expect(await runtime.store.getTool(name), name).toMatchObject({ name, activeVersion: 1 });
    }
  });

  it("offers each composite's intended library tools among the forge's building blocks", async () => {
    for (const composite of COMPOSITES) {
      // The forge offers the first six of the library's matches (src/forge/forge.ts).
      const offered = (await runtime.store.searchLibrary(compositeSpec(composite), { kind: "tool", limit: 6 })).map((hit) => hit.name);
      for (const name of composite.uses) expect(offered, `${composite.name} is offered ${offered.join(", ")}`).toContain(name);
    }
  });

  it("admits every reference module with its pins, and each passes its hidden tests through the library", async () => {
    const outcomes = await Promise.all(
      COMPOSITES.map(async (composite) => {
        const added = await runtime.admission.addTool({ file: `${composite.name}.ts`, source: referenceModule(composite) });
        if (added.status !== "added") return { name: composite.name, added };
        const graded = await gradeInstalled(runtime, compositeProblem(composite), sandbox(), added.name, added.version);
        return { name: composite.name, added, graded };
      }),
    );
    for (const outcome of outcomes) {
      const composite = COMPOSITES.find((c) => c.name === outcome.name)!;
      expect(outcome.added, outcome.name).toMatchObject({ status: "added", version: 1 });
      const pinned = outcome.graded?.installed.uses.map((pin) => `${pin.name}@${pin.version}`).sort();
      expect(pinned, outcome.name).toEqual(composite.uses.map((name) => `${name}@1`).sort());
      expect(outcome.graded?.hidden, outcome.name).toMatchObject({ passed: true });
    }
  }, 120_000);
});
