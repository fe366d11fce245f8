/**
 * A HumanEval-X problem as a tool module of the forged-module contract: the dataset's canonical
 * solution (or a variant) behind a default export that takes one argument object: the library the
 * composite problems build on (./forge-bench-composites.ts), admitted like any module (`tools add`),
 * and the modules the stand-in models of the tests answer with.
 *
 *   export const name = "is_prime";                          // the bench's tool name (toBenchProblem)
 *   export const description = "Return true if a given …";   // the docstring's prose, examples cut off
 *   export const schema = { … n: { type: "integer", … } };   // the parameters, typed from the tests' literals
 *   export default function is_prime({ n }) { return isPrime(n); }
 *   export function test() { … the dataset's own tests, through the default export … }
 *
 * The test calls the default export (the entry point's name is rebound to it inside test()), so a
 * library tool is admitted only when the canonical tests pass through its argument object.
 */
import type { JsonObject } from "../src/store/types.js";
import { observedTypes, type BenchProblem } from "./forge-bench-problems.js";
import type { Problem } from "./humaneval.js";
import { docstringOf } from "./library-data.js";

/** Variants, for the stand-in models of the tests. */
export interface ToolModuleOptions {
  /** The function's body (without its closing brace) instead of the canonical solution. */
  body?: string;
  /** Property names instead of the parameters' (same order). */
  fields?: string[];
  /** The default export (and test()) are async. */
  async?: boolean;
  /** Statements of test() instead of the dataset's tests; the default export is `<tool name>_tool`. */
  test?: string;
}

/** JSON Schema for a type the bench read from the tests ("integer", "array of strings", "integer or string"). */
export function jsonSchemaOf(described: string | null): JsonObject {
  if (described === null) return {};
  const alternatives = described.split(" or ");
  if (alternatives.length === 1) {
    const [head, items] = described.split(/ of (.*)/s) as [string, string | undefined];
    if (head !== "array") return { type: head };
    return items === undefined ? { type: "array" } : { type: "array", items: jsonSchemaOf(singular(items)) };
  }
  return { type: [...new Set(alternatives.map((a) => (a.startsWith("array") ? "array" : a)))] };
}

/** "integers" → "integer", "arrays of strings" → "array of strings", "nulls or strings" → "null or string". */
function singular(plural: string): string {
  if (plural.startsWith("arrays")) return plural.replace(/^arrays/, "array");
  return plural
    .split(" or ")
    .map((t) => t.replace(/s$/, ""))
    .join(" or ");
}

/** The module of `problem`'s solution under the contract (see the top of this file). */
export function toolModule(problem: Problem, bench: BenchProblem, options: ToolModuleOptions = {}): string {
  const fields = options.fields ?? bench.params;
  const types = observedTypes(bench.hiddenTest, bench.entryPoint, bench.params).inputs;
  const properties = fields
    .map((field, i) => {
      const property = { ...jsonSchemaOf(types[i] ?? null), description: `the ${field} argument` };
      return `    ${field}: ${JSON.stringify(property)},`;
    })
    .join("\n");
  const body = options.body ?? problem.canonical_solution.trimEnd().replace(/}\s*$/, "");
  const tool = `${bench.toolName}_tool`;
  const asyncly = options.async ? "async " : "";
  const test =
    options.test ??
    // The dataset's tests, their console.assert made to throw, calling the default export.
    `const ${bench.entryPoint} = (...positional: any[]): any => ${tool}({ ${fields.map((f, i) => `${f}: positional[${i}]`).join(", ")} });
${bench.hiddenTest.replace(/console\.assert\s*\(/g, "assert.ok(")}`;
  return `import assert from "node:assert/strict";

export const name = "${bench.toolName}";
export const description = ${JSON.stringify(docstringOf(problem) || `Solves ${bench.taskId}.`)};
export const schema = {
  type: "object",
  properties: {
${properties}
  },
  required: ${JSON.stringify(fields)},
};

${bench.helperCode}

const ${bench.entryPoint} = (${bench.params.join(", ")}): any => {
${body.trimEnd()}
};

export default ${asyncly}function ${tool}({ ${fields.join(", ")} }: any): any {
  return ${bench.entryPoint}(${fields.join(", ")});
}

export ${asyncly}function test(): ${options.async ? "Promise<void>" : "void"} {
${test}
}
`;
}
