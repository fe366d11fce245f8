/**
 * The audit's view of one compiled module: the acorn AST (ESTree, with locations), every node in
 * source order with its parent, and scope resolution from eslint-scope, so that rules can tell the
 * global `process` from a parameter that happens to be called `process` (a method's `self`, say).
 *
 * Fail-closed: an identifier in a reference position that eslint-scope did not register at all is
 * treated as a global reference (a possible gap in the scope analyser must not hide a global).
 */
import { parse } from "acorn";
import { analyze, type Reference, type Variable } from "eslint-scope";
import type * as ESTree from "estree";

export type Node = ESTree.Node;

export interface ParseFailure {
  message: string;
  /** 1-based line and 0-based column in the compiled JavaScript. */
  line: number;
  column: number;
}

export class ProgramInfo {
  /** Every node, parents before children, in source order. */
  readonly nodes: Node[] = [];
  private readonly parents = new Map<Node, Node | null>();
  private readonly references = new Map<ESTree.Identifier, Reference>();
  private readonly declarations = new Set<ESTree.Identifier>();

  constructor(readonly ast: ESTree.Program) {
    this.collect(ast, null);
    const scopes = analyze(ast, { ecmaVersion: 2025, sourceType: "module", fallback: "iteration" });
    for (const scope of scopes.scopes) {
      for (const reference of scope.references) {
        if (reference.identifier.type === "Identifier") this.references.set(reference.identifier, reference);
      }
      for (const variable of scope.variables) for (const id of variable.identifiers) this.declarations.add(id);
    }
  }

  parentOf(node: Node): Node | null {
    return this.parents.get(node) ?? null;
  }

  /** True when `id` is used as a value (read, written, called) rather than as a name of something. */
  isReferencePosition(id: ESTree.Identifier): boolean {
    const parent = this.parentOf(id);
    if (!parent) return true;
    switch (parent.type) {
      case "MemberExpression":
        return parent.object === id || parent.computed;
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition":
        return parent.key !== id || parent.computed;
      case "LabeledStatement":
      case "BreakStatement":
      case "ContinueStatement":
        return false;
      case "MetaProperty":
        return false;
      case "ImportSpecifier":
        return parent.local === id;
      case "ExportSpecifier":
        return parent.local === id;
      case "ExportAllDeclaration":
        return false;
      default:
        return true;
    }
  }

  /** True when `id` is a reference to something no declaration in the module provides: a global. */
  isGlobalReference(id: ESTree.Identifier): boolean {
    if (!this.isReferencePosition(id)) return false;
    const reference = this.references.get(id);
    if (reference) return reference.resolved === null;
    return !this.declarations.has(id);
  }

  /** The module's own variable `id` refers to, or null (a global, or not a reference). */
  variableOf(id: ESTree.Identifier): Variable | null {
    return this.references.get(id)?.resolved ?? null;
  }

  /** Whether `node` is inside a function (not an arrow) or a class body: `this` there is not the module's. */
  hasOwnThis(node: Node): boolean {
    for (let current = this.parentOf(node); current; current = this.parentOf(current)) {
      if (current.type === "FunctionDeclaration" || current.type === "FunctionExpression") return true;
      if (current.type === "ClassBody" || current.type === "StaticBlock" || current.type === "PropertyDefinition") return true;
    }
    return false;
  }

  /** Ancestors of `node`, nearest first. */
  *ancestors(node: Node): Generator<Node> {
    for (let current = this.parentOf(node); current; current = this.parentOf(current)) yield current;
  }

  private collect(node: Node, parent: Node | null): void {
    this.parents.set(node, parent);
    this.nodes.push(node);
    for (const child of childNodes(node)) this.collect(child, node);
  }
}

/** Parses the compiled module; a parse failure is returned, not thrown (the audit reports it). */
export function analyseProgram(js: string): ProgramInfo | ParseFailure {
  let ast: ESTree.Program;
  try {
    ast = parse(js, { ecmaVersion: "latest", sourceType: "module", locations: true, ranges: true }) as unknown as ESTree.Program;
  } catch (error) {
    if (error instanceof SyntaxError) {
      const loc = (error as SyntaxError & { loc?: { line: number; column: number } }).loc;
      return { message: error.message.replace(/ \(\d+:\d+\)$/, ""), line: loc?.line ?? 1, column: loc?.column ?? 0 };
    }
    throw error;
  }
  return new ProgramInfo(ast);
}

/** The direct child nodes of an ESTree node, in source order. */
export function childNodes(node: Node): Node[] {
  const children: Node[] = [];
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "range" || key === "start" || key === "end") continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) children.push(item);
    } else if (isNode(value)) {
      children.push(value);
    }
  }
  return children.sort((a, b) => startOf(a) - startOf(b));
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

function startOf(node: Node): number {
  return (node as Node & { start?: number }).start ?? 0;
}

/** Removes ChainExpression wrappers (`a?.b`) to reach the member or call inside. */
export function unwrapChain(node: Node): Node {
  return node.type === "ChainExpression" ? node.expression : node;
}

/** The name of a member's property when it is known statically (`a.b`, `a["b"]`, `a[0]`), else null. */
export function staticPropertyName(member: ESTree.MemberExpression): string | null {
  if (!member.computed) return member.property.type === "Identifier" ? member.property.name : null;
  const key = member.property;
  if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) return String(key.value);
  if (key.type === "TemplateLiteral" && key.expressions.length === 0) return key.quasis[0]?.value.cooked ?? null;
  return null;
}
