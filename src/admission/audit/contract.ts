/**
 * The forged-module contract, checked statically on the compiled module's top level (DESIGN.md):
 *
 *   export const name = "snake_case";          tools: required · methods: optional
 *   export const description = "…";            tools: required · methods: optional
 *   export const schema = { type: "object" … } tools: required · methods: optional (a JSON literal)
 *   export default function …                  both: required (may be async; not a generator)
 *   export function test() …                   tools: required · methods: optional
 *   export const uses = ["tool_name", …]       tools: optional (library tools it calls) · methods: not allowed
 *
 * The sandbox runner checks the same things on the live exports; checking them here too lets the
 * model hear about a missing export before a container is spent on it, with a line number.
 */
import type * as ESTree from "estree";
import { MAX_USED_TOOLS, nameProblem, USES_EXPORT } from "../../contract.js";
import { ConstantFolder } from "./constant.js";
import type { Node, ProgramInfo } from "./program.js";
import type { ContractRule } from "./rules.js";
import type { RawFinding } from "./security.js";

export type ModuleContract = "tool" | "method";

interface Binding {
  /** Where the export is declared (for positions). */
  at: Node;
  /** `const`, `let`, `var`, `function`, `class` or `expression` (export default <expression>). */
  kind: "const" | "let" | "var" | "function" | "class" | "expression";
  /** The value: a declarator's init, the function/class declaration itself, or the expression. */
  value: Node | null;
}

export function contractFindings(
  program: ProgramInfo,
  options: { contract: ModuleContract; expectedName?: string | undefined },
): RawFinding[] {
  const folder = new ConstantFolder(program);
  const exports = collectExports(program.ast);
  const findings: RawFinding[] = [];
  const report = (rule: ContractRule, message: string, node: Node | null) => findings.push({ rule, message, node });
  const isTool = options.contract === "tool";

  const name = exports.get("name");
  if (!name) {
    if (isTool) report("contract-name", 'the module must `export const name = "snake_case_name"`.', null);
  } else {
    const value = constString(name, folder);
    const problem = value === null ? null : nameProblem(value);
    if (value === null) report("contract-name", '`name` must be exported as `export const name = "…"` with a string literal.', name.at);
    else if (problem !== null) {
      report("contract-name", `\`name\` ${JSON.stringify(value)} ${problem}: write it in snake_case, like "word_count".`, name.at);
    } else if (options.expectedName !== undefined && value !== options.expectedName) {
      report("contract-name", `\`name\` is ${JSON.stringify(value)} but must be ${JSON.stringify(options.expectedName)}.`, name.at);
    }
  }

  const description = exports.get("description");
  if (!description) {
    if (isTool) report("contract-description", 'the module must `export const description = "what the tool does"`.', null);
  } else {
    const value = constString(description, folder);
    if (value === null || value.trim() === "") {
      report(
        "contract-description",
        '`description` must be exported as `export const description = "…"`: a non-empty string literal.',
        description.at,
      );
    }
  }

  const schema = exports.get("schema");
  if (!schema) {
    if (isTool) report("contract-schema", 'the module must `export const schema = { type: "object", properties: { … } }`.', null);
  } else {
    const problem = schemaProblem(schema);
    if (problem) report("contract-schema", problem.message, problem.node);
  }

  const main = exports.get("default");
  if (!main) report("contract-default", "the module must have a default export: `export default function <name>(input) { … }`.", null);
  else {
    const problem = functionProblem(resolveLocal(main, program.ast), "the default export");
    if (problem) report("contract-default", problem, main.at);
  }

  const uses = exports.get(USES_EXPORT);
  if (uses) {
    const ownName = name ? constString(name, folder) : null;
    const problem = isTool ? usesProblem(uses, folder, ownName) : null;
    if (!isTool) report("contract-uses", "a method cannot use library tools (`uses` is for tools).", uses.at);
    else if (problem) report("contract-uses", problem.message, problem.node);
  }

  const test = exports.get("test");
  if (!test) {
    if (isTool)
      report(
        "contract-test",
        "the module must `export function test(): void { … }` that checks the tool with assert and throws on failure.",
        null,
      );
  } else {
    const problem = functionProblem(resolveLocal(test, program.ast), "`test`");
    if (problem) report("contract-test", problem, test.at);
  }
  return findings;
}

function collectExports(ast: ESTree.Program): Map<string, Binding> {
  const locals = topLevelBindings(ast);
  const exports = new Map<string, Binding>();
  for (const statement of ast.body) {
    if (statement.type === "ExportNamedDeclaration" && !statement.source) {
      if (statement.declaration) {
        for (const [name, binding] of declarationBindings(statement.declaration)) exports.set(name, binding);
      }
      for (const specifier of statement.specifiers) {
        const local = specifier.local.type === "Identifier" ? specifier.local.name : String(specifier.local.value);
        const exported = specifier.exported.type === "Identifier" ? specifier.exported.name : String(specifier.exported.value);
        const binding = locals.get(local);
        exports.set(exported, binding ?? { at: specifier, kind: "expression", value: null });
      }
    } else if (statement.type === "ExportDefaultDeclaration") {
      const declaration = statement.declaration;
      const node = declaration as Node;
      if (node.type === "FunctionDeclaration") exports.set("default", { at: node, kind: "function", value: node });
      else if (node.type === "ClassDeclaration") exports.set("default", { at: node, kind: "class", value: node });
      else exports.set("default", { at: node, kind: "expression", value: node });
    }
  }
  return exports;
}

function topLevelBindings(ast: ESTree.Program): Map<string, Binding> {
  const locals = new Map<string, Binding>();
  for (const statement of ast.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (!declaration) continue;
    for (const [name, binding] of declarationBindings(declaration)) locals.set(name, binding);
  }
  return locals;
}

function declarationBindings(declaration: Node): Array<[string, Binding]> {
  if (declaration.type === "VariableDeclaration") {
    return declaration.declarations.flatMap((declarator): Array<[string, Binding]> =>
      declarator.id.type === "Identifier"
        ? [[declarator.id.name, { at: declarator, kind: declaration.kind as Binding["kind"], value: declarator.init ?? null }]]
        : [],
    );
  }
  if ((declaration.type === "FunctionDeclaration" || declaration.type === "ClassDeclaration") && declaration.id) {
    return [
      [
        declaration.id.name,
        { at: declaration, kind: declaration.type === "FunctionDeclaration" ? "function" : "class", value: declaration },
      ],
    ];
  }
  return [];
}

/**
 * `export default foo` → foo's own declaration. esbuild compiles `export default foo;` into
 * `var module_default = foo; export { module_default as default }`, so names are followed a few steps.
 */
function resolveLocal(binding: Binding, ast: ESTree.Program): Binding {
  const locals = topLevelBindings(ast);
  let current = binding;
  for (let step = 0; step < 3 && current.value?.type === "Identifier"; step++) {
    const next = locals.get(current.value.name);
    if (!next) break;
    current = next;
  }
  return current;
}

function constString(binding: Binding, folder: ConstantFolder): string | null {
  if (binding.kind !== "const" || !binding.value) return null;
  return folder.foldString(binding.value);
}

/**
 * The library tools a module names in `export const uses = [...]` ([] when it names none), read
 * from the compiled module without running it; null when `uses` is not a literal array of names
 * (the audit's contract-uses finding says why).
 */
/** The name the compiled module exports as a string literal (null when it does not). */
export function declaredName(program: ProgramInfo): string | null {
  const name = collectExports(program.ast).get("name");
  return name ? constString(name, new ConstantFolder(program)) : null;
}

export function declaredUses(program: ProgramInfo): string[] | null {
  const uses = collectExports(program.ast).get(USES_EXPORT);
  if (!uses) return [];
  return usesProblem(uses, new ConstantFolder(program), null) ? null : literalStrings(uses.value as ESTree.ArrayExpression);
}

function usesProblem(binding: Binding, folder: ConstantFolder, ownName: string | null): { node: Node; message: string } | null {
  const shape = '`uses` must be exported as `export const uses = ["tool_name", …]`: an array of string literals naming library tools';
  if (binding.kind !== "const" || !binding.value || binding.value.type !== "ArrayExpression")
    return { node: binding.at, message: `${shape}.` };
  const array = binding.value;
  if (array.elements.length > MAX_USED_TOOLS)
    return { node: array, message: `\`uses\` names ${array.elements.length} tools; at most ${MAX_USED_TOOLS}.` };
  const seen = new Set<string>();
  for (const element of array.elements) {
    const value = element && element.type !== "SpreadElement" ? folder.foldString(element) : null;
    if (!element || value === null || element.type !== "Literal") return { node: element ?? array, message: `${shape}.` };
    const problem = nameProblem(value);
    if (problem) return { node: element, message: `\`uses\` names ${JSON.stringify(value)}, which ${problem}.` };
    if (seen.has(value)) return { node: element, message: `\`uses\` names ${JSON.stringify(value)} twice.` };
    if (value === ownName)
      return { node: element, message: `\`uses\` names the tool itself (${JSON.stringify(value)}): a tool cannot use itself.` };
    seen.add(value);
  }
  return null;
}

function literalStrings(array: ESTree.ArrayExpression): string[] {
  return array.elements.map((element) => String((element as ESTree.Literal).value));
}

function functionProblem(binding: Binding, what: string): string | null {
  const value = binding.value;
  if (binding.kind === "class") return `${what} is a class; it must be a function.`;
  if (!value) return `${what} must be a function declared in this module.`;
  if (binding.kind === "let" || binding.kind === "var") return `${what} must be a function declaration or a const, not a ${binding.kind}.`;
  if (value.type !== "FunctionDeclaration" && value.type !== "FunctionExpression" && value.type !== "ArrowFunctionExpression") {
    return `${what} must be a function (found ${describe(value)}).`;
  }
  if ("generator" in value && value.generator) return `${what} must not be a generator function.`;
  return null;
}

function schemaProblem(binding: Binding): { node: Node; message: string } | null {
  if (binding.kind !== "const" || !binding.value) {
    return { node: binding.at, message: "`schema` must be exported as `export const schema = { … }`: an object literal." };
  }
  const value = binding.value;
  if (value.type !== "ObjectExpression")
    return { node: value, message: `\`schema\` must be an object literal (found ${describe(value)}).` };
  const problem = jsonLiteralProblem(value);
  if (problem) return { node: problem.node, message: `\`schema\` must be plain JSON: ${problem.message}.` };
  const type = value.properties.find(
    (property): property is ESTree.Property => property.type === "Property" && propertyKey(property) === "type",
  );
  if (!type || type.value.type !== "Literal" || type.value.value !== "object") {
    return { node: type ?? value, message: '`schema` must have `type: "object"` (the tool takes one object argument).' };
  }
  return null;
}

function jsonLiteralProblem(node: Node): { node: Node; message: string } | null {
  switch (node.type) {
    case "Literal":
      if ("regex" in node || "bigint" in node) return { node, message: "regular expressions and bigints are not JSON" };
      return null;
    case "TemplateLiteral":
      return node.expressions.length === 0 ? null : { node, message: "templates with ${…} are not literals" };
    case "UnaryExpression":
      return node.operator === "-" && node.argument.type === "Literal" && typeof node.argument.value === "number"
        ? null
        : { node, message: `\`${node.operator}\` expressions are not literals` };
    case "ArrayExpression":
      for (const element of node.elements) {
        if (!element) return { node, message: "arrays may not have holes" };
        if (element.type === "SpreadElement") return { node: element, message: "spreads (...) are not literals" };
        const problem = jsonLiteralProblem(element);
        if (problem) return problem;
      }
      return null;
    case "ObjectExpression":
      for (const property of node.properties) {
        if (property.type === "SpreadElement") return { node: property, message: "spreads (...) are not literals" };
        if (property.kind !== "init" || property.method) return { node: property, message: "getters, setters and methods are not JSON" };
        if (property.computed) return { node: property, message: "computed keys are not literals" };
        if (property.shorthand)
          return { node: property, message: `\`{ ${propertyKey(property)} }\` refers to a variable; write the value out` };
        if (propertyKey(property) === "__proto__") return { node: property, message: "`__proto__` is not allowed as a key" };
        const problem = jsonLiteralProblem(property.value);
        if (problem) return problem;
      }
      return null;
    default:
      return { node, message: `${describe(node)} is not a JSON value` };
  }
}

function propertyKey(property: ESTree.Property): string | null {
  if (property.key.type === "Identifier") return property.key.name;
  if (property.key.type === "Literal") return String(property.key.value);
  return null;
}

function describe(node: Node): string {
  switch (node.type) {
    case "Identifier":
      return `the name \`${node.name}\``;
    case "CallExpression":
      return "a function call";
    case "ClassExpression":
    case "ClassDeclaration":
      return "a class";
    case "Literal":
      return `the literal ${JSON.stringify(node.value)}`;
    default:
      return `a ${node.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}`;
  }
}
