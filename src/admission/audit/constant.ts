/**
 * Constant folding for the audit: the value an expression has whatever happens at run time, when
 * it can be known from the code alone — string and number literals, templates, `+`, `const`
 * bindings of such values, inline array literals indexed or joined, and the pure string helpers
 * obfuscation likes (`String.fromCharCode`, `atob`, `split/reverse/join`, `toString(36)`, …).
 *
 * Sound, not complete: a value is returned only when it is certain (the audit treats a folded key
 * as if it were written literally), otherwise UNKNOWN. Patching the builtins it relies on is itself
 * refused by the audit (builtin-prototype-mutation), and `const` bindings are only followed to
 * primitives (a `const` array can still be mutated).
 */
import type * as ESTree from "estree";
import type { ProgramInfo } from "./program.js";

const UNKNOWN: unique symbol = Symbol("unknown");
export type Folded = string | number | boolean | null | undefined | FoldedArray;
export type FoldedArray = ReadonlyArray<Folded>;
type Result = Folded | typeof UNKNOWN;

const MAX_STRING = 10_000;
const MAX_DEPTH = 64;

const STRING_METHODS = new Set([
  "split",
  "concat",
  "toLowerCase",
  "toUpperCase",
  "trim",
  "trimStart",
  "trimEnd",
  "slice",
  "substring",
  "substr",
  "charAt",
  "at",
  "repeat",
  "replace",
  "replaceAll",
  "padStart",
  "padEnd",
  "normalize",
  "toString",
  "valueOf",
]);
const ARRAY_METHODS = new Set(["join", "reverse", "concat", "slice", "at", "toReversed"]);
const GLOBAL_DECODERS: ReadonlyMap<string, (text: string) => string> = new Map(
  Object.entries({
    atob: (text: string) => globalThis.atob(text),
    decodeURIComponent: (text: string) => decodeURIComponent(text),
    decodeURI: (text: string) => decodeURI(text),
    unescape: (text: string) => unescape(text),
  }),
);

export class ConstantFolder {
  private readonly memo = new Map<ESTree.Node, Result>();
  private readonly inProgress = new Set<ESTree.Node>();

  constructor(private readonly program: ProgramInfo) {}

  /** The expression's certain value, or UNKNOWN. */
  fold(node: ESTree.Node): Result {
    return this.evaluate(node, 0);
  }

  /** The expression's certain value when it is a string, else null. */
  foldString(node: ESTree.Node): string | null {
    const value = this.fold(node);
    return typeof value === "string" ? value : null;
  }

  private evaluate(node: ESTree.Node, depth: number): Result {
    if (depth > MAX_DEPTH) return UNKNOWN;
    const known = this.memo.get(node);
    if (known !== undefined || this.memo.has(node)) return known;
    if (this.inProgress.has(node)) return UNKNOWN;
    this.inProgress.add(node);
    const value = capped(this.compute(node, depth + 1));
    this.inProgress.delete(node);
    this.memo.set(node, value);
    return value;
  }

  private compute(node: ESTree.Node, depth: number): Result {
    switch (node.type) {
      case "Literal":
        if ("regex" in node || "bigint" in node) return UNKNOWN;
        return node.value;
      case "TemplateLiteral":
        return this.template(node, depth);
      case "TaggedTemplateExpression":
        return this.isGlobalMember(node.tag, "String", "raw") && node.quasi.expressions.length === 0
          ? node.quasi.quasis.map((q) => q.value.raw).join("")
          : UNKNOWN;
      case "BinaryExpression":
        return node.operator === "+" ? this.plus(node, depth) : UNKNOWN;
      case "SequenceExpression":
        return node.expressions.length > 0 ? this.evaluate(node.expressions[node.expressions.length - 1]!, depth) : UNKNOWN;
      case "ChainExpression":
        return this.evaluate(node.expression, depth);
      case "Identifier":
        return this.identifier(node, depth);
      case "ArrayExpression":
        return this.array(node, depth);
      case "MemberExpression":
        return this.member(node, depth);
      case "CallExpression":
        return this.call(node, depth);
      default:
        return UNKNOWN;
    }
  }

  private template(node: ESTree.TemplateLiteral, depth: number): Result {
    let text = "";
    for (let i = 0; i < node.quasis.length; i++) {
      const cooked = node.quasis[i]!.value.cooked;
      if (cooked === null || cooked === undefined) return UNKNOWN;
      text += cooked;
      const expression = node.expressions[i];
      if (expression) {
        const value = this.evaluate(expression, depth);
        if (!isPrimitive(value)) return UNKNOWN;
        text += String(value);
      }
    }
    return text;
  }

  private plus(node: ESTree.BinaryExpression, depth: number): Result {
    if (node.left.type === "PrivateIdentifier") return UNKNOWN;
    const left = this.evaluate(node.left, depth);
    const right = this.evaluate(node.right, depth);
    if (!isPrimitive(left) || !isPrimitive(right)) return UNKNOWN;
    return (left as never) + (right as never);
  }

  private identifier(node: ESTree.Identifier, depth: number): Result {
    if (this.program.isGlobalReference(node)) return node.name === "undefined" ? undefined : UNKNOWN;
    const variable = this.program.variableOf(node);
    if (!variable || variable.defs.length !== 1) return UNKNOWN;
    const def = variable.defs[0]!;
    if (def.type !== "Variable" || def.parent.kind !== "const") return UNKNOWN;
    const declarator = def.node;
    if (declarator.id.type !== "Identifier" || !declarator.init) return UNKNOWN;
    const value = this.evaluate(declarator.init, depth);
    return isPrimitive(value) ? value : UNKNOWN;
  }

  private array(node: ESTree.ArrayExpression, depth: number): Result {
    const items: Folded[] = [];
    for (const element of node.elements) {
      if (element === null) return UNKNOWN;
      if (element.type === "SpreadElement") {
        const spread = this.evaluate(element.argument, depth);
        if (typeof spread === "string") items.push(...spread);
        else if (Array.isArray(spread)) items.push(...spread);
        else return UNKNOWN;
        continue;
      }
      const value = this.evaluate(element, depth);
      if (value === UNKNOWN) return UNKNOWN;
      items.push(value);
    }
    return items;
  }

  private member(node: ESTree.MemberExpression, depth: number): Result {
    if (node.object.type === "Super") return UNKNOWN;
    const object = this.evaluate(node.object, depth);
    if (typeof object !== "string" && !Array.isArray(object)) return UNKNOWN;
    const key = node.computed ? this.evaluate(node.property, depth) : node.property.type === "Identifier" ? node.property.name : UNKNOWN;
    if (key === "length") return object.length;
    if (typeof key === "number" || (typeof key === "string" && /^(0|[1-9]\d*)$/.test(key))) {
      const index = Number(key);
      return index < object.length ? (object[index] as Folded) : undefined;
    }
    return UNKNOWN;
  }

  private call(node: ESTree.CallExpression, depth: number): Result {
    const args: Folded[] = [];
    for (const argument of node.arguments) {
      if (argument.type === "SpreadElement") return UNKNOWN;
      const value = this.evaluate(argument, depth);
      if (value === UNKNOWN) return UNKNOWN;
      args.push(value);
    }
    const callee = node.callee;
    if (callee.type === "Identifier" && this.program.isGlobalReference(callee)) {
      const decode = GLOBAL_DECODERS.get(callee.name);
      return decode && typeof args[0] === "string" ? attempt(() => decode(args[0] as string)) : UNKNOWN;
    }
    if (callee.type !== "MemberExpression" || callee.computed || callee.property.type !== "Identifier") return UNKNOWN;
    const method = callee.property.name;
    if (this.isGlobalMember(callee, "String", "fromCharCode") || this.isGlobalMember(callee, "String", "fromCodePoint")) {
      if (!args.every((arg) => typeof arg === "number") || args.length > MAX_STRING) return UNKNOWN;
      return attempt(() => String[method as "fromCharCode"](...args));
    }
    if (callee.object.type === "Super") return UNKNOWN;
    const target = this.evaluate(callee.object, depth);
    if (typeof target === "string" && STRING_METHODS.has(method) && args.every(isPrimitive)) {
      if ((method === "repeat" || method === "padStart" || method === "padEnd") && Number(args[0]) > MAX_STRING) return UNKNOWN;
      return attempt(() => (String.prototype[method as "slice"] as (...a: unknown[]) => Folded).apply(target, args));
    }
    if (typeof target === "number" && method === "toString" && args.every((arg) => typeof arg === "number")) {
      return attempt(() => target.toString(...(args as [number])));
    }
    if (Array.isArray(target) && ARRAY_METHODS.has(method) && args.every(isPrimitive)) {
      const copy = [...target];
      return attempt(() => (Array.prototype[method as "join"] as (...a: unknown[]) => Folded).apply(copy, args));
    }
    return UNKNOWN;
  }

  /** `node` is `Global.property` with `Global` the real global (not a local of that name). */
  isGlobalMember(node: ESTree.Node, global: string, property: string): boolean {
    return (
      node.type === "MemberExpression" &&
      !node.computed &&
      node.property.type === "Identifier" &&
      node.property.name === property &&
      node.object.type === "Identifier" &&
      node.object.name === global &&
      this.program.isGlobalReference(node.object)
    );
  }
}

function isPrimitive(value: Result): value is string | number | boolean | null | undefined {
  return value === null || value === undefined || ["string", "number", "boolean"].includes(typeof value);
}

function capped(value: Result): Result {
  if (typeof value === "string" && value.length > MAX_STRING) return UNKNOWN;
  if (Array.isArray(value) && value.length > MAX_STRING) return UNKNOWN;
  return value;
}

/**
 * Runs a pure builtin on constant arguments. A builtin that throws (malformed URI, bad radix) means
 * the expression has no constant value: the code would throw at run time, so UNKNOWN is the answer.
 */
function attempt(compute: () => Folded): Result {
  try {
    return compute();
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError || error instanceof URIError || isDomException(error)) {
      return UNKNOWN;
    }
    throw error;
  }
}

function isDomException(error: unknown): boolean {
  return typeof DOMException === "function" && error instanceof DOMException;
}
