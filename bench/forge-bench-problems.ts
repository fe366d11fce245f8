/**
 * A HumanEval-X problem as the tool request BRICK would write after `TOOL_REQUIRED:`:
 *
 *   has_close_elements: Check if in given list of numbers, are any two numbers closer …
 *   >>> hasCloseElements([1.0, 2.0, 3.0], 0.5)
 *   …
 *   Input: {numbers: array of numbers, threshold: number}. Output: boolean.
 *
 * - The tool's name is the entry point in snake_case (hasCloseElements → has_close_elements); the
 *   forge reads it from the leading `name:` exactly as it does in a chat turn.
 * - The spec is the problem's docstring. An example whose call is also one of the hidden tests'
 *   calls gives that hidden result away: its answer is removed (a `>>>` example loses its answer
 *   line; an inline one, `f(x) ➞ y`, `f(x) == y`, `f(x) returns y`, …, is cut after the call).
 *   A definition ("… defined as follows:" and its lines up to a blank or an example line) stays as
 *   written: JavaScript/63 defines `fibfib(1) == 0` there. Answers that the rule cannot see stay:
 *   prose that names no call (JavaScript/112's "the result should be …"), an answer wrapped onto
 *   the next line (JavaScript/99), a call written over several lines (JavaScript/87).
 * - The input fields are the declaration's parameters, by name. Their types, and the output's, are
 *   read from the literals in the hidden tests (types only, never values): `[1.0, 2.8]` → "array of
 *   numbers", `3` → "integer"; a field only ever given computed values has no type in the spec.
 * - Code the problem builds on (helpers in the declaration, e.g. `poly` for findZero, `encodeShift`
 *   for decodeShift) is quoted in the spec; the hidden tests use the dataset's own copy.
 */
import { parse, type Node } from "acorn";
import { simple as walkSimple } from "acorn-walk";
import { entryPointOf, KNOWN_BAD, type Problem } from "./humaneval.js";

export interface BenchProblem {
  taskId: string;
  /** The JavaScript function the problem asks for (the hidden tests call it by this name). */
  entryPoint: string;
  /** The tool's snake_case name. */
  toolName: string;
  /** The declaration's parameter names, in order. */
  params: string[];
  /** What BRICK would write after `TOOL_REQUIRED:`. */
  spec: string;
  /** How many example answers were removed from the docstring. */
  answersRemoved: number;
  /** Declaration code before the entry point (helpers the hidden tests may call). */
  helperCode: string;
  /** The dataset's tests (console.assert), run only in the sandbox, never shown to the model. */
  hiddenTest: string;
  /** Why this problem is known to be broken in the dataset, when it is. */
  known?: string;
}

/** hasCloseElements → has_close_elements; checkIfLastCharIsALetter → check_if_last_char_is_a_letter. */
export function toToolName(entryPoint: string): string {
  return entryPoint
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** The parameter names of the entry point's declaration (`const f = (a, b) => {` or `function f(a, b) {`). */
export function parametersOf(problem: Problem, entryPoint: string = entryPointOf(problem)): string[] {
  const open = entryDeclaration(problem.declaration, entryPoint);
  const list = /\(([^)]*)\)/.exec(problem.declaration.slice(open))?.[1];
  if (list === undefined) throw new Error(`${problem.task_id}: no parameter list for ${entryPoint}`);
  return list
    .split(",")
    .map((p) => p.replace(/=.*$/s, "").trim())
    .filter((p) => p !== "");
}

function entryDeclaration(code: string, entryPoint: string): number {
  const pattern = new RegExp(`(?:const|let|var)\\s+${entryPoint}\\s*=|function\\s+${entryPoint}\\s*\\(`, "g");
  const last = [...code.matchAll(pattern)].at(-1);
  if (!last) throw new Error(`no declaration of ${entryPoint}`);
  return last.index;
}

/** The arguments' source texts of every call `name(…)` in `text` (balanced parentheses). */
export function callArguments(text: string, name: string): { args: string; start: number; end: number }[] {
  const calls: { args: string; start: number; end: number }[] = [];
  const pattern = new RegExp(`(?<![\\w$.])${name}\\s*\\(`, "g");
  for (const match of text.matchAll(pattern)) {
    let depth = 0;
    for (let i = match.index + match[0].length - 1; i < text.length; i++) {
      if (text[i] === "(") depth++;
      else if (text[i] === ")" && --depth === 0) {
        calls.push({ args: text.slice(match.index + match[0].length, i), start: match.index, end: i + 1 });
        break;
      }
    }
  }
  return calls;
}

const normaliseArgs = (args: string) => args.replace(/\s+/g, "").replace(/"/g, "'");

const EXAMPLE_LINE = /^\s*>>>|\bexamples?\b|\bfor example\b/i;
const DEFINITION_INTRO = /\bdefined\b.*:\s*$/i;

/**
 * The docstring (comment markers and indentation removed) without the answers that give hidden
 * results away. Lines of a definition ("… defined as follows:" up to a blank or example line) stay.
 */
export function docstringWithoutHiddenAnswers(
  docstring: string,
  entryPoint: string,
  hiddenTest: string,
): { text: string; removed: number } {
  const hidden = new Set(callArguments(hiddenTest, entryPoint).map((c) => normaliseArgs(c.args)));
  const lines = dedent(docstring);
  const drop = new Set<number>();
  let removed = 0;
  let inDefinition = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (inDefinition && (line.trim() === "" || EXAMPLE_LINE.test(line))) inDefinition = false;
    if (DEFINITION_INTRO.test(line)) inDefinition = true;
    if (inDefinition || drop.has(i)) continue;
    const given = callArguments(line, entryPoint).find((c) => hidden.has(normaliseArgs(c.args)));
    if (!given) continue;
    if (line.trimStart().startsWith(">>>")) {
      const next = lines[i + 1];
      if (next !== undefined && next.trim() !== "" && !next.trimStart().startsWith(">>>")) {
        drop.add(i + 1);
        removed++;
      }
    } else if (line.slice(given.end).trim() !== "") {
      lines[i] = line.slice(0, given.end);
      removed++;
    }
  }
  const kept = lines.filter((_, i) => !drop.has(i));
  return {
    text: kept
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim(),
    removed,
  };
}

function dedent(docstring: string): string[] {
  const lines = docstring
    .replace(/^\s*\/\*+/, "")
    .replace(/\*+\/\s*$/, "")
    .split("\n")
    .map((l) => l.trimEnd());
  const indents = lines
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l, i) => (i === 0 ? l.trim() : l.slice(Math.min(cut, /^\s*/.exec(l)![0].length))));
}

// ------------------------------------------------------------------------- types from the tests

type AnyNode = Node & Record<string, unknown>;

/** A JSON type's description from a literal's syntax, or null when the node is not a literal. */
function literalType(node: AnyNode): string | null {
  switch (node.type) {
    case "Literal": {
      const value = node["value"];
      if (value === null) return "null";
      if (typeof value === "number") return /^-?\d+$/.test(String(node["raw"])) ? "integer" : "number";
      if (typeof value === "string") return "string";
      if (typeof value === "boolean") return "boolean";
      return null;
    }
    case "TemplateLiteral":
      return "string";
    case "UnaryExpression":
      return node["operator"] === "-" ? literalType(node["argument"] as AnyNode) : null;
    case "ObjectExpression":
      return "object";
    case "ArrayExpression": {
      const items = (node["elements"] as (AnyNode | null)[]).map((e) => (e ? literalType(e) : null));
      if (items.some((t) => t === null)) return null;
      const union = unionOf(items as string[]);
      return union ? `array of ${plural(union)}` : "array";
    }
    default:
      return null;
  }
}

function plural(type: string): string {
  return type
    .split(" or ")
    .map((t) => (t.startsWith("array") ? t.replace(/^array/, "arrays") : t === "null" ? "nulls" : `${t}s`))
    .join(" or ");
}

/** One description for several observed types ("integer" and "number" → "number"; "array" yields to "array of …"). */
export function unionOf(types: string[]): string | null {
  const set = new Set(types);
  for (const type of [...set]) {
    const wider = type.replace(/integer/g, "number");
    if (wider !== type && set.has(wider)) set.delete(type);
  }
  if ([...set].some((t) => t.startsWith("array of"))) set.delete("array");
  return set.size > 0 ? [...set].sort().join(" or ") : null;
}

interface ObservedTypes {
  inputs: (string | null)[];
  output: string | null;
}

/** The types of the entry point's arguments and results, from the literals in the hidden tests. */
export function observedTypes(hiddenTest: string, entryPoint: string, params: string[]): ObservedTypes {
  let ast: AnyNode;
  try {
    ast = parse(hiddenTest, { ecmaVersion: "latest", sourceType: "script" }) as unknown as AnyNode;
  } catch {
    return { inputs: params.map(() => null), output: null };
  }
  const inputs: string[][] = params.map(() => []);
  const outputs: string[] = [];
  const isEntryCall = (node: AnyNode) =>
    node.type === "CallExpression" &&
    (node["callee"] as AnyNode).type === "Identifier" &&
    (node["callee"] as AnyNode)["name"] === entryPoint;
  const unwrapStringify = (node: AnyNode): AnyNode => {
    const callee = node["callee"] as AnyNode | undefined;
    const args = node["arguments"] as AnyNode[] | undefined;
    if (
      node.type === "CallExpression" &&
      callee?.type === "MemberExpression" &&
      (callee["object"] as AnyNode)["name"] === "JSON" &&
      args?.length === 1
    ) {
      return args[0]!;
    }
    return node;
  };
  walkSimple(ast as Node, {
    CallExpression(node) {
      const call = node as unknown as AnyNode;
      if (!isEntryCall(call)) return;
      (call["arguments"] as AnyNode[]).forEach((arg, i) => {
        const type = literalType(arg);
        if (type && i < inputs.length) inputs[i]!.push(type);
      });
    },
    BinaryExpression(node) {
      const binary = node as unknown as AnyNode;
      if (!["===", "==", "!==", "!="].includes(String(binary["operator"]))) return;
      const [left, right] = [unwrapStringify(binary["left"] as AnyNode), unwrapStringify(binary["right"] as AnyNode)];
      const other = isEntryCall(left) ? right : isEntryCall(right) ? left : null;
      const type = other ? literalType(other) : null;
      if (type) outputs.push(type);
    },
  });
  return { inputs: inputs.map(unionOf), output: unionOf(outputs) };
}

// ------------------------------------------------------------------------------------ the request

/** The problem as a tool request (see the top of this file). */
export function toBenchProblem(problem: Problem): BenchProblem {
  const entryPoint = entryPointOf(problem);
  const toolName = toToolName(entryPoint);
  const params = parametersOf(problem, entryPoint);
  const helperCode = problem.declaration.slice(0, entryDeclaration(problem.declaration, entryPoint)).trim();

  const entryInPrompt = entryDeclaration(problem.prompt, entryPoint);
  const before = problem.prompt.slice(0, entryInPrompt);
  const commentStart = before.lastIndexOf("/*");
  if (commentStart < 0) throw new Error(`${problem.task_id}: no docstring before ${entryPoint}`);
  const context = before.slice(0, commentStart).trim();
  const { text, removed } = docstringWithoutHiddenAnswers(before.slice(commentStart), entryPoint, problem.test);

  const types = observedTypes(problem.test, entryPoint, params);
  const fields = params.map((p, i) => (types.inputs[i] ? `${p}: ${types.inputs[i]}` : p)).join(", ");
  const output = types.output ? `${types.output}.` : "the result described above.";
  const parts = [`${toolName}: ${text}`];
  if (context) parts.push(`It builds on this existing code (copy what it needs into the module):\n${indent(context)}`);
  parts.push(`Input: {${fields}}. Output: ${output}`);

  return {
    taskId: problem.task_id,
    entryPoint,
    toolName,
    params,
    spec: parts.join("\n"),
    answersRemoved: removed,
    helperCode,
    hiddenTest: problem.test,
    ...(KNOWN_BAD[problem.task_id] ? { known: KNOWN_BAD[problem.task_id] } : {}),
  };
}

function indent(code: string): string {
  return code
    .split("\n")
    .map((line) => (line.trim() === "" ? "" : `    ${line}`))
    .join("\n");
}
