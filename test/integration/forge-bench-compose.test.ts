/**
 * `npm run bench:forge -- --composite` end to end, as a child process: the HumanEval-X library
 * admitted through the real admission, then per problem a copy of its store, the real forge (a real
 * ChatOllama talking to the scripted Ollama over sockets), the audit, the gVisor sandbox, and the
 * hidden tests against the installed tool with its pinned library versions. One scripted behaviour
 * per problem:
 *
 *   count_primes           the reference module (uses is_prime)             → passed, composed
 *   least_common_multiple  a correct module of its own (no uses)           → passed, not composed
 *   is_semiprime           uses factorize, but wrong (its own test passes) → failed hidden tests, composed
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { COMPOSITES, referenceModule } from "../../bench/forge-bench-composites.js";
import type { CompositeBenchResult, CompositeOutcome } from "../../bench/forge-bench-report.js";
import { reply } from "./forge-fixtures.js";
import { runBench, userText } from "./forge-bench-fixtures.js";
import { ScriptedOllama, type OllamaChatRequest } from "../support/scripted-ollama.js";
import { describeSandbox } from "../support/sandbox.js";

const MODEL = "forge-bench:scripted";
const composite = (name: string) => COMPOSITES.find((c) => c.name === name)!;

const STANDALONE_LCM = `import assert from "node:assert/strict";
export const name = "least_common_multiple";
export const description = "The least common multiple of two positive integers.";
export const schema = { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] };
export default function least_common_multiple({ a, b }: { a: number; b: number }): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}
export function test(): void {
  assert.equal(least_common_multiple({ a: 4, b: 6 }), 12);
}
`;

/** Uses factorize, but counts "two or more" prime factors: its own test (6) passes, the hidden 12 does not. */
const WRONG_SEMIPRIME = referenceModule({
  ...composite("is_semiprime"),
  body: "return (await ctx.tools.factorize({ n })).length >= 2;",
});

const script: Record<string, string> = {
  count_primes: reply(referenceModule(composite("count_primes"))),
  least_common_multiple: reply(STANDALONE_LCM),
  is_semiprime: reply(WRONG_SEMIPRIME),
};

const toolOf = (request: OllamaChatRequest) => Object.keys(script).find((name) => userText(request).includes(`${name}: `));

describeSandbox("npm run bench:forge -- --composite against the scripted Ollama", () => {
  let ollama: ScriptedOllama;
  let out: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let result: CompositeBenchResult;
  const outcome = (tool: string): CompositeOutcome => result.outcomes.find((o) => o.tool === tool)!;

  beforeAll(async () => {
    ollama = await ScriptedOllama.start({
      respond: (request) => {
        const name = toolOf(request);
        return name ? script[name]! : `no script for this request: ${userText(request).slice(0, 80)}`;
      },
    });
    out = await mkdtemp(path.join(os.tmpdir(), "toolforge-forge-bench-compose-"));
    run = await runBench(
      ["--model", MODEL, "--composite", "--problems", "count_primes,least_common_multiple,is_semiprime", "--attempts", "1", "--out", out],
      { OLLAMA_HOST: ollama.url, ARANGO_URL: "http://127.0.0.1:1" },
    );
    const files = (await readdir(out)).filter((f) => f.startsWith("compose-"));
    if (run.code !== 0 || files.length !== 1) throw new Error(`the bench failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    result = JSON.parse(await readFile(path.join(out, files[0]!), "utf8")) as CompositeBenchResult;
  }, 180_000);
  afterAll(async () => {
    await ollama?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("offers the forge the library tools each composite is meant to build on", () => {
    expect(ollama.chatRequests).toHaveLength(3);
    const asked = (name: string) => userText(ollama.chatRequests.find((r) => toolOf(r) === name)!);
    expect(asked("count_primes")).toMatch(/^- is_prime\(\{ n: integer \}\): Return true if a given number is prime/m);
    expect(asked("is_semiprime")).toMatch(/^- factorize\(\{ n: integer \}\)/m);
    expect(asked("count_primes")).not.toContain("console.assert");
  });

  it("counts the reference module passed and composed, with its pin", () => {
    expect(outcome("count_primes")).toMatchObject({
      solved: true,
      stop: "solved",
      composed: true,
      uses: ["is_prime@1"],
      intended: ["is_prime"],
      modelCalls: 1,
    });
    expect(outcome("count_primes").tokens?.prompt).toBeGreaterThan(0);
  });

  it("counts a correct module that uses nothing passed but not composed", () => {
    expect(outcome("least_common_multiple")).toMatchObject({
      solved: true,
      composed: false,
      uses: [],
      intended: ["greatest_common_divisor"],
    });
  });

  it("counts a wrong module failed on the hidden tests, whatever it uses", () => {
    expect(outcome("is_semiprime")).toMatchObject({ solved: false, stop: "hidden test", composed: true, uses: ["factorize@1"] });
    expect(outcome("is_semiprime").failure).toMatch(/assertions failed; the first: isSemiprime\(12\) === false/);
  });

  it("sums up the pass rate and the compose rate", () => {
    expect(result).toMatchObject({ kind: "forge-bench-composite", model: MODEL, maxAttempts: 1 });
    expect(result.problems).toEqual(["composite/count_primes", "composite/least_common_multiple", "composite/is_semiprime"]);
    expect(result.summary).toMatchObject({
      attempted: 3,
      passed: 2,
      composed: 2,
      passedAndComposed: 1,
      passRate: 0.6667,
      composeRate: 0.6667,
    });
    expect(run.stdout).toContain("passed (hidden tests):  2/3 (66.7%)");
    expect(run.stdout).toContain("composed (uses them):   2/3 (66.7%)");
    expect(run.stderr).toMatch(/library: 14 HumanEval-X tools admitted/);
  });
});
