import { describe, expect, it } from "vitest";
import { adaptInput, instrumentAssertions } from "../../bench/forge-bench-hidden.js";
import { docstringWithoutHiddenAnswers, toBenchProblem, toToolName, unionOf } from "../../bench/forge-bench-problems.js";
import { readProblems } from "../../bench/humaneval.js";
import { requestedToolName, isToolName } from "../../src/forge/names.js";

const problems = readProblems();
const bench = problems.map(toBenchProblem);
const byId = (n: number) => bench[n]!;

describe("a HumanEval-X problem as the tool request BRICK would write", () => {
  it("names the tool after the entry point, and the forge reads that name from every spec", () => {
    expect(bench).toHaveLength(164);
    for (const problem of bench) {
      expect(isToolName(problem.toolName), problem.taskId).toBe(true);
      expect(requestedToolName(problem.spec), problem.taskId).toBe(problem.toolName);
      expect(problem.params.length, problem.taskId).toBeGreaterThan(0);
      // BRICK's TOOL_REQUIRED spec is cut at 2000 characters (src/personas/brick.ts).
      expect(problem.spec.length, problem.taskId).toBeLessThanOrEqual(2_000);
      expect(problem.spec, problem.taskId).not.toContain("console.assert");
    }
  });

  it("turns camelCase entry points into snake_case tool names", () => {
    expect(toToolName("hasCloseElements")).toBe("has_close_elements");
    expect(toToolName("checkIfLastCharIsALetter")).toBe("check_if_last_char_is_a_letter");
    expect(toToolName("fib4")).toBe("fib4");
    expect(toToolName("iscube")).toBe("iscube");
  });

  it("asks for the declaration's parameters as input fields, typed from the tests' literals, and says the output type", () => {
    expect(byId(0).params).toEqual(["numbers", "threshold"]);
    expect(byId(0).spec).toContain("Input: {numbers: array of numbers, threshold: number}. Output: boolean.");
    expect(byId(137).spec).toContain("Input: {a: integer or string, b: number or string}. Output: null or number or string.");
    // Only computed arguments in the tests: the field has a name and no type.
    expect(byId(32).spec).toContain("Input: {xs}. Output: the result described above.");
  });

  it("quotes the code the problem builds on; the hidden tests get the dataset's own copy", () => {
    expect(byId(50).spec).toContain("It builds on this existing code");
    expect(byId(50).spec).toContain("const encodeShift = (s) => {");
    expect(byId(50).helperCode).toMatch(/^const encodeShift = \(s\) => \{/);
    expect(byId(0).helperCode).toBe("");
  });

  it("removes the answers of examples the hidden tests check, and keeps the others", () => {
    // fibfib: the definition stays; the >>> examples the tests check lose their answers.
    const fibfib = byId(63).spec;
    expect(fibfib).toContain("fibfib(1) == 0\nfibfib(2) == 1");
    expect(fibfib).toContain(">>> fibfib(5)\n>>> fibfib(8)\n");
    expect(byId(63).answersRemoved).toBe(3);
    // Inline examples are cut after the call.
    expect(byId(137).spec).toContain('compareOne(1, "2,3")\n');
    expect(byId(137).spec).not.toContain("➞");
    // hasCloseElements' examples are not among its hidden tests: they stay whole.
    expect(byId(0).spec).toContain(">>> hasCloseElements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)\ntrue");
    expect(byId(0).answersRemoved).toBe(0);
  });

  it("strips the answers line by line (>>> answers, inline answers) but only for calls the tests make", () => {
    const doc = "/* Adds.\n  >>> add(1, 2)\n  3\n  >>> add(5, 5)\n  10\n  Example: add(7, 1) => 8 and more\n  */";
    const { text, removed } = docstringWithoutHiddenAnswers(doc, "add", "console.assert(add(1,2) === 3)\nconsole.assert(add(7, 1) === 8)");
    expect(text).toBe("Adds.\n>>> add(1, 2)\n>>> add(5, 5)\n10\nExample: add(7, 1)");
    expect(removed).toBe(2);
  });

  it("describes unions of observed types", () => {
    expect(unionOf(["integer", "number"])).toBe("number");
    expect(unionOf(["array", "array of integers", "array of numbers"])).toBe("array of numbers");
    expect(unionOf(["string", "null"])).toBe("null or string");
    expect(unionOf([])).toBeNull();
  });
});

describe("the adapter from positional calls to one argument object", () => {
  const schema = (...names: string[]) => ({ type: "object", properties: Object.fromEntries(names.map((n) => [n, { type: "string" }])) });

  it("maps by name, ignoring case and underscores, whatever the schema's order", () => {
    expect(adaptInput(["numbers", "threshold"], schema("threshold", "numbers"))).toEqual({
      ok: true,
      fields: ["numbers", "threshold"],
      renamed: [],
    });
    expect(adaptInput(["gpaList"], schema("gpa_list"))).toEqual({ ok: true, fields: ["gpa_list"], renamed: [] });
    expect(adaptInput(["a", "b"], schema("a", "b", "verbose"))).toEqual({ ok: true, fields: ["a", "b"], renamed: [] });
  });

  it("maps renamed parameters to the fields left over, in the schema's order, only when as many are left", () => {
    expect(adaptInput(["numbers", "threshold"], schema("limit", "numbers"))).toEqual({
      ok: true,
      fields: ["numbers", "limit"],
      renamed: ["threshold"],
    });
    expect(adaptInput(["s", "c"], schema("text", "chars"))).toEqual({ ok: true, fields: ["text", "chars"], renamed: ["s", "c"] });
    const refused = adaptInput(["a", "h"], schema("base", "height", "unit"));
    expect(refused).toMatchObject({ ok: false });
    expect(refused.ok ? "" : refused.reason).toContain("(base, height, unit) do not match the requested (a, h)");
    expect(adaptInput(["x"], null)).toMatchObject({ ok: false });
  });

  it("turns each console.assert into a recording assertion with its source", () => {
    const { code, sources } = instrumentAssertions("console.assert(f(1) === 2)\n  console.assert(\n    g([1, (2)]) === 3\n  )");
    expect(code).toBe("expectTrue(0, f(1) === 2)\n  expectTrue(1, \n    g([1, (2)]) === 3\n  )");
    expect(sources).toEqual(["f(1) === 2", "g([1, (2)]) === 3"]);
  });
});
