/**
 * validateModule against the real gVisor sandbox: good modules pass with their exports read from
 * the runner's report; a failing test fails with its assertion text; modules that try to fake a
 * passing run (a forged report line, patched console/assert, an early clean exit) never pass, even
 * with the audit switched off; a test that never finishes is stopped by the timeout.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { validateModule } from "../../src/admission/validate.js";
import { describeSandbox } from "../support/sandbox.js";

const MODULES = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/modules");
const fixture = (file: string) => readFileSync(path.join(MODULES, file), "utf8");

describeSandbox(
  "validateModule in the gVisor sandbox",
  (sandbox) => {
    it("passes a good tool and takes its name, description and schema from the sandbox report", async () => {
      const result = await validateModule({
        source: fixture("good-word-count.ts"),
        contract: "tool",
        expectedName: "word_count",
        sandbox: sandbox(),
      });
      expect(result.failure).toBeNull();
      expect(result).toMatchObject({
        ok: true,
        stage: "passed",
        findings: [],
        exports: {
          name: "word_count",
          description: "Counts the words in a text.",
          schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
        },
      });
      expect(result.sandbox?.report).toMatchObject({ ok: true, phase: "done", testCompleted: true });
    });

    it("passes a tool written with a wide range of ordinary TypeScript", async () => {
      const result = await validateModule({ source: fixture("good-ordinary-code.ts"), contract: "tool", sandbox: sandbox() });
      expect(result.failure).toBeNull();
      expect(result.ok).toBe(true);
    });

    it("passes a method with its test and a dry run on a copy of the receiver", async () => {
      const result = await validateModule({
        source: fixture("good-method-greet.ts"),
        contract: "method",
        expectedName: "greet",
        dryRun: { self: { greetings: 4 }, args: ["Bob"], kwargs: {} },
        sandbox: sandbox(),
      });
      expect(result.failure).toBeNull();
      expect(result).toMatchObject({ ok: true, exports: { name: "greet", schema: null } });
      expect(result.sandbox?.report).toMatchObject({ result: "Hello, Bob!", self: { greetings: 5, last_greeted: "Bob" } });
    });

    it("fails a module whose test fails, quoting the assertion message and the TypeScript line", async () => {
      const source = fixture("failing-test.ts");
      const result = await validateModule({ source, contract: "tool", sandbox: sandbox() });
      expect(result).toMatchObject({ ok: false, stage: "sandbox" });
      expect(result.failure).toContain("test() failed: AssertionError: add_numbers(2, 2) should be 4");
      const line = source.split("\n").findIndex((text) => text.includes("should be 4")) + 1;
      expect(result.failure).toContain(`module.ts:${line}:`);
    });

    it.each([
      ["fake-report-print.ts", "without a valid report"],
      ["fake-report-exit-early.ts", "without a valid report"],
      ["fake-report-patch.ts", "test() failed"],
    ])("never passes %s, even with the audit off", async (file, expected) => {
      const source = fixture(file);
      const result = await validateModule({ source, contract: "tool", sandbox: sandbox(), audit: false });
      expect(result).toMatchObject({ ok: false, stage: "sandbox" });
      expect(result.failure).toContain(expected);
      const audited = await validateModule({ source, contract: "tool", sandbox: sandbox() });
      expect(audited).toMatchObject({ ok: false, stage: "audit", sandbox: null });
    });

    it("stops a test that never finishes and says so", async () => {
      const result = await validateModule({ source: fixture("never-finishes.ts"), contract: "tool", sandbox: sandbox(), timeoutMs: 2_000 });
      expect(result).toMatchObject({ ok: false, stage: "sandbox" });
      expect(result.sandbox?.timedOut).toBe(true);
      expect(result.failure).toContain("did not finish within 2000 ms");
    });

    it("stops the sandbox job and throws the signal's reason when its signal aborts", async () => {
      const stop = new AbortController();
      const reason = new Error("the forge run was cancelled");
      setTimeout(() => stop.abort(reason), 300);
      const started = performance.now();
      await expect(
        validateModule({
          source: fixture("never-finishes.ts"),
          contract: "tool",
          sandbox: sandbox(),
          timeoutMs: 20_000,
          signal: stop.signal,
        }),
      ).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(10_000);
    });
  },
  { sandbox: { poolSize: 2 } },
);
