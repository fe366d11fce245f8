/**
 * CommonJS, told apart up front: a module that exports through `module.exports` / `exports.x`, or
 * only `require()`s, and has no ES module exports of its own. esbuild compiles such a file into a
 * `__commonJS` wrapper (`var require_module = __commonJS({ "module.ts"(exports, module) { … } });
 * export default require_module();`), so judged export by export it would draw a finding for every
 * missing export, one for the wrapper's helper, and one per `require("assert")`. That is a question
 * of shape, not of security: it gets ONE finding (`contract-commonjs`) that says so and shows the
 * shape expected, and the findings that only restate it are dropped (contract-*, the wrapper's
 * helper, `require` of the assert module). Everything else the security rules find stays: a
 * `require("child_process")` is still refused as `require`.
 */
import type * as ESTree from "estree";
import { ALLOWED_IMPORTS } from "./names.js";
import { unwrapChain, type Node, type ProgramInfo } from "./program.js";
import { isContractRule } from "./rules.js";
import type { RawFinding } from "./security.js";

/** esbuild's helper that wraps a CommonJS file. */
const WRAPPER_HELPER = "__commonJS";

export interface CommonJsShape {
  /** Where the CommonJS shows first: `module.exports`, `exports.x`, or a `require(…)` call. */
  node: Node | null;
  /** What was found there, for the message. */
  what: string;
}

/** The CommonJS shape of the module, or null when it is an ES module (or neither). */
export function commonJsShape(program: ProgramInfo): CommonJsShape | null {
  const wrapper = wrapperOf(program.ast);
  if (hasOwnEsmExports(program.ast, wrapper)) return null;
  const exportsUse = program.nodes.find((node) => isExportsUse(program, node));
  if (exportsUse) return { node: exportsUse, what: `\`${describe(exportsUse)}\`` };
  const requireCall = program.nodes.find((node) => isGlobalRequireCall(program, node));
  if (requireCall) return { node: requireCall, what: "`require(…)`" };
  return wrapper ? { node: null, what: "`module.exports`" } : null;
}

/** The findings to keep beside the CommonJS finding: what is more than the shape restated. */
export function beyondShape(findings: readonly RawFinding[], program: ProgramInfo): RawFinding[] {
  return findings.filter((finding) => {
    if (isContractRule(finding.rule)) return false;
    const node = finding.node;
    if (finding.rule === "unsupported-syntax" && node?.type === "Identifier" && node.name === WRAPPER_HELPER) return false;
    if (finding.rule === "require" && node?.type === "Identifier" && requiresAssert(program, node)) return false;
    return true;
  });
}

/** The one finding, with the shape the model should write instead. */
export function commonJsFinding(shape: CommonJsShape, contract: "tool" | "method", expectedName: string | undefined): RawFinding {
  return {
    rule: "contract-commonjs",
    message:
      `this is CommonJS (${shape.what}): write an ES module instead. Export each part with \`export\` ` +
      "(never module.exports or exports.x) and import assert with `import` (never require). The expected shape:\n" +
      skeleton(contract, expectedName),
    node: shape.node,
  };
}

function skeleton(contract: "tool" | "method", expectedName: string | undefined): string {
  const name = expectedName ?? (contract === "tool" ? "tool_name" : "method_name");
  const lines =
    contract === "tool"
      ? [
          'import assert from "node:assert/strict";',
          "",
          `export const name = "${name}";`,
          'export const description = "What the tool does, in a sentence.";',
          'export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };',
          "",
          `export default function ${name}({ text }) {`,
          "  return …;",
          "}",
          "",
          "export function test() {",
          `  assert.equal(${name}({ text: "…" }), …);`,
          "}",
        ]
      : [
          'import assert from "node:assert/strict";',
          "",
          `export const name = "${name}";`,
          'export const description = "What the method does, in a sentence.";',
          "",
          `export default function ${name}(self, ...args) {`,
          "  return …;",
          "}",
          "",
          "export function test() {",
          `  assert.equal(${name}({}, …), …);`,
          "}",
        ];
  return ["```typescript", ...lines, "```"].join("\n");
}

/** `var require_x = __commonJS({…})` at the top level: the name it binds, or null. */
function wrapperOf(ast: ESTree.Program): string | null {
  for (const statement of ast.body) {
    if (statement.type !== "VariableDeclaration") continue;
    for (const declarator of statement.declarations) {
      const init = declarator.init;
      if (
        declarator.id.type === "Identifier" &&
        init?.type === "CallExpression" &&
        init.callee.type === "Identifier" &&
        init.callee.name === WRAPPER_HELPER
      ) {
        return declarator.id.name;
      }
    }
  }
  return null;
}

/** Any export statement but the wrapper's own `export default require_x();`. */
function hasOwnEsmExports(ast: ESTree.Program, wrapper: string | null): boolean {
  return ast.body.some((statement) => {
    if (statement.type === "ExportDefaultDeclaration") {
      const declaration = statement.declaration as Node;
      const wrapped =
        wrapper !== null &&
        declaration.type === "CallExpression" &&
        declaration.callee.type === "Identifier" &&
        declaration.callee.name === wrapper;
      return !wrapped;
    }
    return statement.type === "ExportNamedDeclaration" || statement.type === "ExportAllDeclaration";
  });
}

/** `module.exports` or `exports.x` / `exports[…]`, where module/exports are CommonJS's (a wrapper parameter or the global). */
function isExportsUse(program: ProgramInfo, node: Node): node is ESTree.MemberExpression {
  if (node.type !== "MemberExpression") return false;
  const object = unwrapChain(node.object);
  if (object.type !== "Identifier" || !isCommonJsBinding(program, object)) return false;
  if (object.name === "exports") return true;
  return object.name === "module" && !node.computed && node.property.type === "Identifier" && node.property.name === "exports";
}

function isCommonJsBinding(program: ProgramInfo, id: ESTree.Identifier): boolean {
  if (id.name !== "module" && id.name !== "exports") return false;
  if (program.isGlobalReference(id)) return true;
  return program.variableOf(id)?.defs.some((def) => def.type === "Parameter" && isWrapperFunction(program, def.node)) ?? false;
}

/** The function esbuild's wrapper calls: the method inside `__commonJS({ "file"(exports, module) {…} })`. */
function isWrapperFunction(program: ProgramInfo, fn: Node): boolean {
  const property = program.parentOf(fn);
  const object = property && program.parentOf(property);
  const call = object && program.parentOf(object);
  return call?.type === "CallExpression" && call.callee.type === "Identifier" && call.callee.name === WRAPPER_HELPER;
}

function isGlobalRequireCall(program: ProgramInfo, node: Node): boolean {
  if (node.type !== "CallExpression") return false;
  const callee = unwrapChain(node.callee);
  return callee.type === "Identifier" && callee.name === "require" && program.isGlobalReference(callee);
}

/** `require("assert")` in any spelling of the allowed module: in an ES module it is the import. */
function requiresAssert(program: ProgramInfo, id: ESTree.Identifier): boolean {
  const call = program.parentOf(id);
  if (call?.type !== "CallExpression" || call.callee !== id || call.arguments.length !== 1) return false;
  const specifier = call.arguments[0]!;
  return specifier.type === "Literal" && typeof specifier.value === "string" && ALLOWED_IMPORTS.has(specifier.value);
}

function describe(member: ESTree.MemberExpression): string {
  const object = unwrapChain(member.object) as ESTree.Identifier;
  if (member.computed) return `${object.name}[…] = …`;
  return `${object.name}.${(member.property as ESTree.Identifier).name} = …`;
}
