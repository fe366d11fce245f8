/**
 * What every security rule family shares: the program, the constant folder, the report, and the
 * two questions the rules keep asking about an expression:
 *
 * - rootOf(node): what is at the root of this identifier or member chain? One classification
 *   (RootKind) for all rules: the global object, console, a forbidden global (process, eval, …),
 *   another builtin, an undeclared name, an import, a function or class of the module, an alias
 *   (a local that holds one of the first five), any other local, the module's `this`, or a value.
 * - memberChain(node): the one walk down a member chain (`a.b[c]?.d` → root `a`, its links, and
 *   whether a `.prototype` is on the way).
 *
 * Plus the helpers several families need: number-ness of keys, suspicious run-time keys, and how
 * a chain is written out in a message.
 */
import type { Variable } from "eslint-scope";
import type * as ESTree from "estree";
import { ConstantFolder } from "../constant.js";
import { DECODING_FUNCTIONS, DECODING_METHODS, FORBIDDEN_GLOBALS, GLOBAL_OBJECTS, KEY_PIECE_SOURCES, type NamedRule } from "../names.js";
import { childNodes, staticPropertyName, unwrapChain, type Node, type ProgramInfo } from "../program.js";
import type { AuditRule } from "../rules.js";

export interface RawFinding {
  rule: AuditRule;
  message: string;
  /** The compiled node the finding points at (its start is mapped back to the TypeScript); null: line 1. */
  node: Node | null;
}

/** What an expression's root is (see the top of this file). */
export type Root =
  | { kind: "global-object"; name: string }
  | { kind: "console"; name: "console" }
  | { kind: "forbidden"; name: string; named: NamedRule }
  | { kind: "builtin"; name: string }
  | { kind: "undeclared"; name: string }
  | { kind: "import"; name: string }
  | { kind: "local-constructor"; name: string }
  | { kind: "alias"; name: string; of: SharedRoot }
  | { kind: "local"; name: string }
  | { kind: "module-this" }
  | { kind: "value" };

/** The roots that are shared with everything else in the process: globals, builtins and imports. */
export type SharedRoot = Extract<Root, { kind: "global-object" | "console" | "forbidden" | "builtin" | "import" }>;

/** The kinds a global reference can have. */
const GLOBAL_KINDS: ReadonlySet<Root["kind"]> = new Set(["global-object", "console", "forbidden", "builtin", "undeclared"]);
const SHARED_KINDS: ReadonlySet<Root["kind"]> = new Set(["global-object", "console", "forbidden", "builtin", "import"]);

export function isGlobalRoot(root: Root): boolean {
  return GLOBAL_KINDS.has(root.kind);
}

function isSharedRoot(root: Root): root is SharedRoot {
  return SHARED_KINDS.has(root.kind);
}

/** A member chain: its root expression, its links (outermost first) and whether one is `.prototype`. */
export interface MemberChain {
  root: Node;
  links: ESTree.MemberExpression[];
  touchesPrototype: boolean;
}

/** Node listeners by ESTree type, as an ESLint rule has them. */
export type Listeners = { [T in Node["type"]]?: (node: Extract<Node, { type: T }>) => void };

/** One family of security rules: the ids it reports and its listeners. */
export interface RuleFamily {
  name: string;
  /** The rule ids (./rules.ts) this family may report; reporting any other is a bug. */
  rules: readonly AuditRule[];
  create(context: SecurityContext): Listeners;
}

export class SecurityContext {
  readonly findings: RawFinding[] = [];
  readonly folder: ConstantFolder;
  /** The family whose listener runs now (set by the runner in ../security.ts). */
  family: RuleFamily | null = null;
  private readonly aliases = new Map<Variable, SharedRoot | null>();

  constructor(readonly program: ProgramInfo) {
    this.folder = new ConstantFolder(program);
  }

  report(rule: AuditRule, message: string, node: Node): void {
    if (this.family && !this.family.rules.includes(rule)) {
      throw new Error(`the ${this.family.name} rule family reported "${rule}", which it does not declare`);
    }
    this.findings.push({ rule, message, node });
  }

  reportNamed(named: NamedRule, node: Node, prefix = ""): void {
    this.report(named.rule, prefix + named.message, node);
  }

  // ------------------------------------------------------------------ the root of an expression

  /** The root of `node` once member links and `?.` are stripped (see Root). */
  rootOf(node: Node): Root {
    const root = this.memberChain(node).root;
    if (root.type === "Identifier") return this.identifierRoot(root);
    if (root.type === "ThisExpression" && !this.program.hasOwnThis(root)) return { kind: "module-this" };
    return { kind: "value" };
  }

  /** What the identifier `id` refers to. */
  identifierRoot(id: ESTree.Identifier): Root {
    const name = id.name;
    if (this.program.isGlobalReference(id)) {
      if (GLOBAL_OBJECTS.has(name)) return { kind: "global-object", name };
      if (name === "console") return { kind: "console", name };
      const named = FORBIDDEN_GLOBALS.get(name);
      if (named) return { kind: "forbidden", name, named };
      // The host runs the same Node as the sandbox; a name the host has and the sandbox lacks is
      // judged as a builtin, which is the stricter reading.
      return name in globalThis ? { kind: "builtin", name } : { kind: "undeclared", name };
    }
    const variable = this.program.variableOf(id);
    if (!variable) return { kind: "local", name };
    if (variable.defs.some((def) => def.type === "ImportBinding")) return { kind: "import", name };
    if (this.isLocalConstructor(id)) return { kind: "local-constructor", name };
    const of = this.aliasOf(variable);
    return of ? { kind: "alias", name, of } : { kind: "local", name };
  }

  /**
   * The shared thing (global, builtin, import) a local holds, when anything ever assigned to it is
   * one or hangs off one (`const M = Math`, `let p = Array.prototype`, `const { prototype } = Array`).
   */
  private aliasOf(variable: Variable): SharedRoot | null {
    if (this.aliases.has(variable)) return this.aliases.get(variable) ?? null;
    this.aliases.set(variable, null); // while in progress: a cycle (a = b; b = a) adds nothing
    let found: SharedRoot | null = null;
    for (const source of assignedValues(variable).flatMap(possibleValues)) {
      const root = this.memberChain(source).root;
      if (root.type !== "Identifier") continue;
      const classified = this.identifierRoot(root);
      if (isSharedRoot(classified)) found = classified;
      else if (classified.kind === "alias") found = classified.of;
      if (found) break;
    }
    this.aliases.set(variable, found);
    return found;
  }

  /** The one walk down a member chain: `a.b[c]?.d` → root `a`, links outermost first. */
  memberChain(node: Node): MemberChain {
    const links: ESTree.MemberExpression[] = [];
    let touchesPrototype = false;
    let current = unwrapChain(node);
    while (current.type === "MemberExpression") {
      links.push(current);
      if (staticPropertyName(current) === "prototype") touchesPrototype = true;
      current = unwrapChain(current.object);
    }
    return { root: current, links, touchesPrototype };
  }

  /** `id` names a function or class declared in this module (so its prototype is the module's own). */
  isLocalConstructor(id: ESTree.Identifier): boolean {
    const variable = this.program.variableOf(id);
    if (!variable || variable.defs.length !== 1) return false;
    const def = variable.defs[0]!;
    if (def.type === "FunctionName" || def.type === "ClassName") return true;
    if (def.type !== "Variable" || def.parent.kind !== "const" || !def.node.init) return false;
    const init = def.node.init.type;
    return init === "FunctionExpression" || init === "ClassExpression" || init === "ArrowFunctionExpression";
  }

  /** A function or class value: a literal one, or a name bound to one in this module. */
  isFunctionValue(node: Node): boolean {
    if (node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression" || node.type === "ClassExpression") return true;
    return node.type === "Identifier" && this.isLocalConstructor(node);
  }

  // ------------------------------------------------------------------ keys

  /** True when the expression certainly evaluates to a number (arithmetic, .length, counters). */
  isNumeric(node: Node, depth = 0, seen = new Set<Variable>()): boolean {
    if (depth > 8) return false;
    switch (node.type) {
      case "Literal":
        return typeof node.value === "number";
      case "UnaryExpression":
        return node.operator === "-" || node.operator === "+" || node.operator === "~";
      case "UpdateExpression":
        return true;
      case "BinaryExpression":
        if (NUMERIC_OPERATORS.has(node.operator)) return true;
        return (
          node.operator === "+" &&
          node.left.type !== "PrivateIdentifier" &&
          this.isNumeric(node.left, depth + 1, seen) &&
          this.isNumeric(node.right, depth + 1, seen)
        );
      case "MemberExpression":
        return !node.computed && node.property.type === "Identifier" && node.property.name === "length";
      case "CallExpression": {
        const callee = unwrapChain(node.callee);
        if (callee.type === "Identifier") return NUMERIC_FUNCTIONS.has(callee.name) && this.program.isGlobalReference(callee);
        return (
          callee.type === "MemberExpression" &&
          callee.object.type === "Identifier" &&
          callee.object.name === "Math" &&
          this.program.isGlobalReference(callee.object)
        );
      }
      case "Identifier": {
        const variable = this.program.variableOf(node);
        if (!variable || seen.has(variable) || variable.defs.length !== 1) return false;
        seen.add(variable);
        const def = variable.defs[0]!;
        if (def.type !== "Variable" || !def.node.init || def.node.id.type !== "Identifier") return false;
        if (!this.isNumeric(def.node.init, depth + 1, seen)) return false;
        return variable.references.every((reference) => {
          if (!reference.isWrite() || reference.writeExpr === def.node.init) return true;
          const parent = this.program.parentOf(reference.identifier as Node);
          if (parent?.type === "UpdateExpression") return true;
          if (parent?.type === "AssignmentExpression" && !VALUE_REPLACING_OPERATORS.has(parent.operator)) return true;
          return reference.writeExpr !== null && reference.writeExpr !== undefined && this.isNumeric(reference.writeExpr, depth + 1, seen);
        });
      }
      default:
        return false;
    }
  }

  /** Why a run-time key looks assembled from forbidden names or decoded, or null. */
  suspiciousKey(key: Node, depth = 0, seen = new Set<Variable>()): string | null {
    for (const node of subtree(key)) {
      if (node.type === "Literal" && typeof node.value === "string") {
        const piece = forbiddenPiece(node.value);
        if (piece) return `built from ${JSON.stringify(node.value)}, a piece of "${piece}"`;
      } else if (node.type === "TemplateElement") {
        const piece = forbiddenPiece(node.value.cooked ?? "");
        if (piece) return `built from ${JSON.stringify(node.value.cooked)}, a piece of "${piece}"`;
      } else if (node.type === "CallExpression") {
        const callee = unwrapChain(node.callee);
        if (callee.type === "Identifier" && DECODING_FUNCTIONS.has(callee.name) && this.program.isGlobalReference(callee))
          return `decoded at run time with ${callee.name}()`;
        if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier") {
          const method = callee.property.name;
          if (DECODING_METHODS.has(method)) return `assembled at run time with .${method}()`;
          if (method === "toString" && node.arguments.length > 0) return "converted from a number with toString(radix)";
        }
      } else if (node.type === "TaggedTemplateExpression" && this.folder.isGlobalMember(node.tag, "String", "raw")) {
        return "built with String.raw";
      } else if (node.type === "Identifier" && depth < 3 && node !== key) {
        const reason = this.suspiciousVariable(node, depth, seen);
        if (reason) return reason;
      }
    }
    if (key.type === "Identifier" && depth < 3) return this.suspiciousVariable(key, depth, seen);
    return null;
  }

  /** Looks at everything ever assigned to the variable `id` names. */
  private suspiciousVariable(id: ESTree.Identifier, depth: number, seen: Set<Variable>): string | null {
    const variable = this.program.variableOf(id);
    if (!variable || seen.has(variable)) return null;
    seen.add(variable);
    for (const source of assignedValues(variable)) {
      const reason = this.suspiciousKey(source, depth + 1, seen);
      if (reason) return `${reason} (through \`${id.name}\`)`;
    }
    return null;
  }
}

const NUMERIC_OPERATORS = new Set(["-", "*", "/", "%", "**", "|", "&", "^", "<<", ">>", ">>>"]);
const NUMERIC_FUNCTIONS = new Set(["Number", "parseInt", "parseFloat"]);
/** Compound assignments whose result may stop being a number (`+=` can concatenate). */
const VALUE_REPLACING_OPERATORS = new Set(["=", "+=", "||=", "&&=", "??="]);

/** Every value assigned to a variable: its declarations' initialisers, then the values written to it. */
function assignedValues(variable: Variable): Node[] {
  const values: Node[] = [];
  for (const def of variable.defs) if (def.type === "Variable" && def.node.init) values.push(def.node.init);
  for (const reference of variable.references) if (reference.isWrite() && reference.writeExpr) values.push(reference.writeExpr);
  return values;
}

/** The values an expression may evaluate to, one level deep: both arms of `?:`, `||`, `??`, `,`, `=`. */
function possibleValues(node: Node): Node[] {
  switch (node.type) {
    case "ConditionalExpression":
      return [...possibleValues(node.consequent), ...possibleValues(node.alternate)];
    case "LogicalExpression":
      return [...possibleValues(node.left), ...possibleValues(node.right)];
    case "SequenceExpression":
      return node.expressions.length > 0 ? possibleValues(node.expressions[node.expressions.length - 1]!) : [];
    case "AssignmentExpression":
      return possibleValues(node.right);
    default:
      return [node];
  }
}

/** `a.b["c"]` as written, for messages. */
export function describeChain(node: Node): string {
  const current = unwrapChain(node);
  if (current.type === "Identifier") return current.name;
  if (current.type === "ThisExpression") return "this";
  if (current.type === "MemberExpression") {
    const name = staticPropertyName(current);
    const object = describeChain(current.object);
    if (name === null) return `${object}[…]`;
    return current.computed ? `${object}[${JSON.stringify(name)}]` : `${object}.${name}`;
  }
  return "(…)";
}

/** How a shared root is named in a message: "the builtin Math", "the imported assert", … */
export function describeShared(root: SharedRoot): string {
  switch (root.kind) {
    case "global-object":
      return `the global object (${root.name})`;
    case "console":
      return "console";
    case "import":
      return `the imported ${root.name}`;
    default:
      return `the builtin ${root.name}`;
  }
}

function forbiddenPiece(text: string): string | null {
  if (text.length < 3) return null;
  return KEY_PIECE_SOURCES.find((name) => name.includes(text)) ?? null;
}

/** The nodes of an expression, not descending into nested functions. */
function* subtree(root: Node): Generator<Node> {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    yield node;
    if (node !== root && (node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression")) continue;
    stack.push(...childNodes(node));
  }
}
