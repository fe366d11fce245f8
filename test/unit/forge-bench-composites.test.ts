import { describe, expect, it, vi } from "vitest";
import { main } from "../../bench/forge-bench.js";
import { selectComposites } from "../../bench/forge-bench-compose.js";
import { COMPOSITES, compositeProblem, compositeSpec, LIBRARY, type Composite } from "../../bench/forge-bench-composites.js";
import {
  renderComposites,
  summariseComposites,
  type CompositeBenchResult,
  type CompositeOutcome,
  type Stop,
} from "../../bench/forge-bench-report.js";
import { callArguments } from "../../bench/forge-bench-problems.js";
import { requestedToolName } from "../../src/forge/names.js";

function outcome(tool: string, stop: Stop, composed: boolean, extra: Partial<CompositeOutcome> = {}): CompositeOutcome {
  return {
    taskId: `composite/${tool}`,
    tool,
    solved: stop === "solved",
    stop,
    firstAttempt: stop === "solved",
    modelCalls: 1,
    attempts: [],
    seconds: 2,
    modelSeconds: 1,
    tokens: { prompt: 900, completion: 100 },
    auditRefusals: [],
    answersRemoved: 0,
    intended: ["is_prime"],
    uses: composed ? ["is_prime@1"] : [],
    composed,
    ...extra,
  };
}

describe("the composite problems", () => {
  it("ask the forge for their own name, one not taken by the library", () => {
    const names = COMPOSITES.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const composite of COMPOSITES) {
      expect(requestedToolName(compositeSpec(composite)), composite.name).toBe(composite.name);
      expect(Object.keys(LIBRARY), composite.name).not.toContain(composite.name);
    }
  });

  it("build only on library tools, and their hidden tests call the entry point with every input field", () => {
    for (const composite of COMPOSITES) {
      for (const name of composite.uses) expect(Object.keys(LIBRARY), composite.name).toContain(name);
      const problem = compositeProblem(composite);
      const calls = callArguments(problem.hiddenTest, problem.entryPoint);
      expect(calls.length, composite.name).toBe(composite.hidden.length);
      expect(problem.params).toEqual(Object.keys(composite.input));
    }
    expect(COMPOSITES.length).toBeGreaterThanOrEqual(12);
  });

  it("picks composites by name or composite/<name>, in their order, and returns the names it does not know", () => {
    const all = COMPOSITES.slice(0, 4);
    const [a, b, c] = all as [Composite, Composite, Composite];
    expect(selectComposites([c.name, `composite/${a.name}`], undefined, all)).toEqual({ picked: [a, c], unknown: [] });
    expect(selectComposites(["nope", b.name], undefined, all)).toEqual({ picked: [b], unknown: ["nope"] });
    expect(selectComposites(undefined, 2, all)).toEqual({ picked: [a, b], unknown: [] });
  });
});

describe("the composite mode's counting", () => {
  const outcomes = [
    outcome("count_primes", "solved", true),
    outcome("least_common_multiple", "solved", false),
    outcome("is_semiprime", "hidden test", true, { failure: "1 of 7 assertions failed" }),
    outcome("gcd_of_list", "extract", false, { tokens: { prompt: 500, completion: 0 } }),
  ];

  it("counts passed, composed and both, each rate over the problems attempted", () => {
    expect(summariseComposites(outcomes)).toMatchObject({
      attempted: 4,
      passed: 2,
      composed: 2,
      passedAndComposed: 1,
      passRate: 0.5,
      composeRate: 0.5,
      stops: { "hidden test": 1, extract: 1, error: 0 },
      tokens: { total: 3500 },
    });
  });

  it("prints a row per problem with what its installed version uses, then the rates", () => {
    const result = { model: "m:7b", maxAttempts: 3, summary: summariseComposites(outcomes), outcomes } as CompositeBenchResult;
    const text = renderComposites(result);
    expect(text).toMatch(/\| count_primes\s+\| yes\s+\| yes\s+\| is_prime@1\s+\| is_prime/);
    expect(text).toMatch(/\| least_common_multiple\s+\| yes\s+\| no\s+\| -/);
    expect(text).toMatch(/\| is_semiprime\s+\| no \(hidden test\)\s+\| yes/);
    expect(text).toContain("passed (hidden tests):  2/4 (50.0%)");
    expect(text).toContain("composed (uses them):   2/4 (50.0%)");
    expect(text).toContain("passed and composed:    1/4 (25.0%)");
  });
});

describe("bench:forge --composite's arguments", () => {
  it("refuses an unknown composite problem, naming the ones there are, before asking Ollama anything", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const code = await main(["--model", "m:7b", "--composite", "--problems", "count_primes,sum_of_everything"]);
      expect(code).toBe(2);
      expect(errors.mock.calls[0]?.[0]).toMatch(
        /^unknown composite problems: sum_of_everything \(there are: sum_prime_digits, count_primes/,
      );
    } finally {
      errors.mockRestore();
    }
  });

  it("refuses --compare with --composite: composite results are not compared", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(await main(["--compare", "--composite"])).toBe(2);
      expect(errors.mock.calls[0]?.[0]).toContain("--compare reads HumanEval-X runs only");
    } finally {
      errors.mockRestore();
    }
  });
});
