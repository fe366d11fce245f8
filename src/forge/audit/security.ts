/**
 * The security rules: one pass over every node of the compiled module (ProgramInfo.nodes), with
 * scope resolution (a local called `process` or a method's `self` parameter is not the global) and
 * constant folding (a computed key that is certain is judged like a literal one).
 *
 * What it refuses is listed in ./rules.ts and explained per name in ./names.ts. It is the second
 * wall: the container is the first, so the aim is to catch every known route to the host's
 * capabilities that plain code can write, with few false positives on ordinary code.
 */
import type * as ESTree from "estree";
import type { Variable } from "eslint-scope";
import { ConstantFolder } from "./constant.js";
import {
  ALLOWED_IMPORTS,
  ALLOWED_REFLECT,
  DECODING_FUNCTIONS,
  DECODING_METHODS,
  FORBIDDEN_GLOBAL_PROPERTIES,
  FORBIDDEN_GLOBALS,
  FORBIDDEN_PROPERTIES,
  GLOBAL_OBJECTS,
  KEY_PIECE_SOURCES,
  WRITING_OBJECT_METHODS,
  type NamedRule,
} from "./names.js";
import { childNodes, staticPropertyName, unwrapChain, type Node, type ProgramInfo } from "./program.js";
import type { AuditRule } from "./rules.js";

export interface RawFinding {
  rule: AuditRule;
  message: string;
  /** The compiled node the finding points at (its start is mapped back to the TypeScript); null: line 1. */
  node: Node | null;
}

/** Runs every security rule; `skip` holds compiler-generated nodes that are judged elsewhere. */
export function securityFindings(program: ProgramInfo, skip: ReadonlySet<Node>): RawFinding[] {
  return new SecurityPass(program, skip).run();
}

class SecurityPass {
  private readonly findings: RawFinding[] = [];
  private readonly folder: ConstantFolder;

  constructor(
    private readonly program: ProgramInfo,
    private readonly skip: ReadonlySet<Node>,
  ) {
    this.folder = new ConstantFolder(program);
  }

  run(): RawFinding[] {
    for (const node of this.program.nodes) {
      if (this.skip.has(node)) continue;
      this.visit(node);
    }
    return this.findings;
  }

  private report(rule: AuditRule, message: string, node: Node): void {
    this.findings.push({ rule, message, node });
  }

  private reportNamed(named: NamedRule, node: Node, prefix = ""): void {
    this.report(named.rule, prefix + named.message, node);
  }

  private visit(node: Node): void {
    switch (node.type) {
      case "ImportDeclaration":
        if (!ALLOWED_IMPORTS.has(String(node.source.value))) {
          this.report("import-forbidden", `import of ${JSON.stringify(node.source.value)}: the only import allowed is node:assert or node:assert/strict.`, node.source);
        }
        return;
      case "ExportAllDeclaration":
        this.report("import-forbidden", `re-export from ${JSON.stringify(node.source.value)}: a forged module may not import other modules.`, node.source);
        return;
      case "ExportNamedDeclaration":
        if (node.source) this.report("import-forbidden", `re-export from ${JSON.stringify(node.source.value)}: a forged module may not import other modules.`, node.source);
        return;
      case "ImportExpression":
        this.report("dynamic-import", "dynamic import() loads modules at run time (child_process, fs, …); it is not allowed.", node);
        return;
      case "MetaProperty":
        if (node.meta.name === "import") this.report("import-meta", "`import.meta` exposes the module's location and resolver; it is not allowed.", node);
        return;
      case "WithStatement":
        this.report("with", "`with` changes how names resolve at run time; it is not allowed.", node);
        return;
      case "ThisExpression":
        if (!this.program.hasOwnThis(node)) {
          this.report("global-object", "`this` at the top of a module (outside any function or class) is not allowed; it never refers to anything a tool needs.", node);
        }
        return;
      case "Identifier":
        this.identifier(node);
        return;
      case "MemberExpression":
        this.member(node);
        return;
      case "Property":
        this.property(node);
        return;
      case "AssignmentExpression":
        this.mutation(node.left);
        return;
      case "UpdateExpression":
        this.mutation(node.argument);
        return;
      case "UnaryExpression":
        if (node.operator === "delete") this.mutation(node.argument);
        return;
      case "ForInStatement":
      case "ForOfStatement":
        if (node.left.type !== "VariableDeclaration") this.mutation(node.left);
        return;
      default:
        this.constantString(node);
    }
  }

  // ------------------------------------------------------------------ identifiers

  private identifier(id: ESTree.Identifier): void {
    if (this.program.isGlobalReference(id)) {
      this.globalIdentifier(id);
      return;
    }
    const variable = this.program.variableOf(id);
    if (variable && isImportBinding(variable)) this.importedBindingUse(id, variable.name);
  }

  private globalIdentifier(id: ESTree.Identifier): void {
    const parent = this.program.parentOf(id);
    const name = id.name;
    // `typeof process !== "undefined"` only reads a type name: feature detection is harmless.
    if (parent?.type === "UnaryExpression" && parent.operator === "typeof") return;
    if (GLOBAL_OBJECTS.has(name)) return this.globalObject(id, parent);
    if (name === "console") return this.importedBindingUse(id, "console");
    if (name === "Reflect") return this.reflect(id, parent);
    if (name === "Function" && parent?.type === "BinaryExpression" && parent.operator === "instanceof" && parent.right === id) return;
    const named = FORBIDDEN_GLOBALS.get(name);
    if (named) this.reportNamed(named, id);
  }

  private globalObject(id: ESTree.Identifier, parent: Node | null): void {
    if (parent?.type === "UnaryExpression" && parent.operator === "typeof") return;
    if (parent?.type === "MemberExpression" && parent.object === id) {
      if (parent.computed) {
        const key = this.folder.foldString(parent.property);
        const shown = key === null ? "a run-time key" : JSON.stringify(key);
        this.report("global-computed", `\`${id.name}[${shown}]\`: computed access on the global object can reach anything (process, Function, …); name what you need directly.`, id);
        return;
      }
      const property = staticPropertyName(parent);
      const named = property === null ? undefined : FORBIDDEN_GLOBALS.get(property);
      if (named) this.reportNamed(named, parent.property, `\`${id.name}.${property}\`: `);
      else if (property !== null && GLOBAL_OBJECTS.has(property)) this.report("global-object", `\`${id.name}.${property}\` is the global object again; it is not allowed.`, parent.property);
      return;
    }
    this.report("global-object", `\`${id.name}\` (the global object) may not be used as a value; use the globals you need by name.`, id);
  }

  private reflect(id: ESTree.Identifier, parent: Node | null): void {
    if (parent?.type === "MemberExpression" && parent.object === id) {
      const property = staticPropertyName(parent);
      if (property !== null && ALLOWED_REFLECT.has(property)) return;
      this.report("reflect-proxy", `\`Reflect.${property ?? "[…]"}\` is not allowed (only Reflect.ownKeys and Reflect.has are); use ordinary property access and calls.`, id);
      return;
    }
    this.report("reflect-proxy", "`Reflect` may not be used as a value (only Reflect.ownKeys and Reflect.has are allowed).", id);
  }

  /** console and the imported assert: calls and method calls are fine; the object itself stays put. */
  private importedBindingUse(id: ESTree.Identifier, name: string): void {
    const parent = this.program.parentOf(id);
    if (parent?.type === "MemberExpression" && parent.object === id) return;
    if ((parent?.type === "CallExpression" || parent?.type === "NewExpression") && parent.callee === id) return;
    if (parent?.type === "UnaryExpression" && parent.operator === "typeof") return;
    this.report(
      "imported-binding-mutation",
      `\`${name}\` may only be called or have its methods called; passing the object itself around lets code patch it.`,
      id,
    );
  }

  // ------------------------------------------------------------------ members and keys

  private member(member: ESTree.MemberExpression): void {
    if (member.property.type === "PrivateIdentifier") return;
    const object = unwrapChain(member.object);
    if (!member.computed) {
      this.propertyRead((member.property as ESTree.Identifier).name, object, member.property, member);
      return;
    }
    const folded = this.folder.fold(member.property);
    if (typeof folded === "string" || typeof folded === "number") {
      this.propertyRead(String(folded), object, member.property, member);
      return;
    }
    this.dynamicKey(member, object);
  }

  /** `object[key]` with a key that is not known before run time. */
  private dynamicKey(member: ESTree.MemberExpression, object: Node): void {
    // A number can never be "constructor" or "__proto__": indexing is ordinary code.
    if (this.isNumeric(member.property, 0, new Set())) return;
    if (object.type === "Identifier") {
      if (this.program.isGlobalReference(object)) {
        // An undeclared name throws ReferenceError when read; writes to it are reported elsewhere.
        if (!GLOBAL_OBJECTS.has(object.name) && !this.isUndeclared(object)) {
          this.report("global-computed", `\`${object.name}[…]\` with a run-time key can reach its constructor or internals; name the member you need.`, member.property);
        }
        return;
      }
      const variable = this.program.variableOf(object);
      if (variable && isImportBinding(variable)) {
        this.report("global-computed", `\`${object.name}[…]\` with a run-time key on an imported object is not allowed; call its methods by name.`, member.property);
        return;
      }
    }
    if (this.isFunctionValue(object)) {
      this.report("constructor-access", "computed access with a run-time key on a function or class can reach its constructor (Function); name the member you need.", member.property);
      return;
    }
    const reason = this.suspiciousKey(member.property as ESTree.Expression, 0);
    if (reason) this.report("computed-key", `computed property key ${reason}: keys like this are how "constructor" and "__proto__" get smuggled past a review; use literal keys.`, member.property);
  }

  /** A property name that is read from `object` (member access or destructuring). */
  private propertyRead(name: string, object: Node | null, at: Node, member: ESTree.MemberExpression | null): void {
    const named = FORBIDDEN_PROPERTIES.get(name);
    if (named) {
      this.reportNamed(named, at);
      return;
    }
    if (object?.type !== "Identifier" || !this.program.isGlobalReference(object)) return;
    const special = FORBIDDEN_GLOBAL_PROPERTIES.get(object.name)?.get(name);
    if (special) {
      this.reportNamed(special, at);
      return;
    }
    if (object.name === "Object" && WRITING_OBJECT_METHODS.has(name)) this.writingObjectMethod(name, at, member);
  }

  /** Object.defineProperty/defineProperties/assign: fine on the module's own objects, refused on builtins. */
  private writingObjectMethod(name: string, at: Node, member: ESTree.MemberExpression | null): void {
    const call = member ? this.program.parentOf(member) : null;
    if (!member || call?.type !== "CallExpression" || call.callee !== member) {
      this.report("builtin-prototype-mutation", `\`Object.${name}\` may only be called directly (so that its target can be checked).`, at);
      return;
    }
    const target = call.arguments[0];
    if (!target || target.type === "SpreadElement") {
      if (target) this.report("builtin-prototype-mutation", `\`Object.${name}(...spread)\`: the target must be written out.`, at);
      return;
    }
    const protectedTarget = this.protectedTarget(target);
    if (protectedTarget) this.report(protectedTarget.rule, `\`Object.${name}\` on ${protectedTarget.what}: ${protectedTarget.why}`, at);
  }

  /** Property keys in object literals and destructuring patterns. */
  private property(property: ESTree.Property): void {
    const parent = this.program.parentOf(property);
    const key = property.computed ? this.folder.foldString(property.key) : keyName(property.key);
    if (parent?.type === "ObjectExpression") {
      if (!property.computed && !property.shorthand && property.kind === "init" && !property.method && key === "__proto__") {
        this.report("proto", "`__proto__:` in an object literal sets its prototype; use Object.create or a class.", property.key);
      }
      return;
    }
    if (parent?.type !== "ObjectPattern") return;
    if (key === null) {
      if (property.computed) {
        const reason = this.suspiciousKey(property.key as ESTree.Expression, 0);
        if (reason) this.report("computed-key", `destructuring key ${reason}; use literal keys.`, property.key);
      }
      return;
    }
    this.propertyRead(key, this.patternSource(parent), property.key, null);
  }

  /** The object a destructuring pattern reads from, when it is written right there. */
  private patternSource(pattern: ESTree.ObjectPattern): Node | null {
    const parent = this.program.parentOf(pattern);
    if (parent?.type === "VariableDeclarator" && parent.id === pattern && parent.init) return unwrapChain(parent.init);
    if (parent?.type === "AssignmentExpression" && parent.left === pattern) return unwrapChain(parent.right);
    return null;
  }

  // ------------------------------------------------------------------ writes

  /** Assignment, update, delete and for-in/of targets: builtins, globals and imports are read-only. */
  private mutation(target: Node): void {
    for (const written of writtenTargets(target)) {
      if (written.type === "Identifier") {
        if (this.isUndeclared(written)) {
          this.report("undeclared-assignment", undeclaredMessage(written.name), written);
        } else if (this.program.isGlobalReference(written) && !FORBIDDEN_GLOBALS.has(written.name) && !GLOBAL_OBJECTS.has(written.name) && written.name !== "console") {
          this.report("builtin-prototype-mutation", `assigning to the global \`${written.name}\` replaces it for everything in the process; declare a local variable (let/const) instead.`, written);
        }
        continue;
      }
      this.memberWrite(written);
    }
  }

  private memberWrite(member: ESTree.MemberExpression): void {
    const chain: ESTree.MemberExpression[] = [];
    let current: Node = member;
    while (current.type === "MemberExpression") {
      chain.push(current);
      current = unwrapChain(current.object);
    }
    const root = current;
    const path = describeChain(member);
    if (root.type === "Identifier") {
      if (this.isUndeclared(root)) {
        this.report("undeclared-assignment", undeclaredMessage(root.name), member);
        return;
      }
      if (this.program.isGlobalReference(root)) {
        if (root.name === "console") {
          this.report("imported-binding-mutation", `\`${path}\` = …: console may not be patched.`, member);
        } else if (GLOBAL_OBJECTS.has(root.name)) {
          this.report("global-object", `\`${path}\` = …: writing to the global object is not allowed; use a local variable.`, member);
        } else if (!FORBIDDEN_GLOBALS.has(root.name)) {
          this.report("builtin-prototype-mutation", `\`${path}\` = …: builtins and their prototypes are shared by all code in the process and may not be changed.`, member);
        }
        return;
      }
      const variable = this.program.variableOf(root);
      if (variable && isImportBinding(variable)) {
        this.report("imported-binding-mutation", `\`${path}\` = …: the imported ${root.name} may not be patched.`, member);
        return;
      }
    }
    const touchesPrototype = chain.some((link) => staticPropertyName(link) === "prototype");
    if (touchesPrototype && !(root.type === "Identifier" && this.isLocalConstructor(root))) {
      this.report("builtin-prototype-mutation", `\`${path}\` = …: only the prototypes of classes and functions declared in this module may be changed.`, member);
    }
  }

  /** Whether a target passed to Object.assign/defineProperty is protected; why, if it is. */
  private protectedTarget(node: Node): { rule: AuditRule; what: string; why: string } | null {
    const target = unwrapChain(node);
    const shared = "builtins, their prototypes, the global object and the imports are shared by all code in the process.";
    if (target.type === "Identifier") {
      if (this.program.isGlobalReference(target)) {
        if (target.name === "console") return { rule: "imported-binding-mutation", what: "console", why: "console may not be patched." };
        if (GLOBAL_OBJECTS.has(target.name)) return { rule: "global-object", what: target.name, why: shared };
        return { rule: "builtin-prototype-mutation", what: `the builtin ${target.name}`, why: shared };
      }
      const variable = this.program.variableOf(target);
      if (variable && isImportBinding(variable)) return { rule: "imported-binding-mutation", what: `the imported ${target.name}`, why: shared };
      return null;
    }
    if (target.type === "ThisExpression" && !this.program.hasOwnThis(target)) return { rule: "global-object", what: "the module's `this`", why: shared };
    if (target.type === "MemberExpression") {
      let root: Node = target;
      let touchesPrototype = false;
      while (root.type === "MemberExpression") {
        if (staticPropertyName(root) === "prototype") touchesPrototype = true;
        root = unwrapChain(root.object);
      }
      const globalRoot = root.type === "Identifier" && this.program.isGlobalReference(root);
      const localConstructor = root.type === "Identifier" && this.isLocalConstructor(root);
      if (globalRoot || (touchesPrototype && !localConstructor)) return { rule: "builtin-prototype-mutation", what: `\`${describeChain(target)}\``, why: shared };
    }
    return null;
  }

  // ------------------------------------------------------------------ strings

  /** Strings that spell a forbidden property name ("constructor", "__proto__", …) are refused as values. */
  private constantString(node: Node): void {
    if (!isStringProducer(node)) return;
    const value = this.folder.foldString(node);
    if (value === null) return;
    const named = FORBIDDEN_PROPERTIES.get(value);
    if (!named) return;
    const parent = this.program.parentOf(node);
    if (parent && isStringProducer(parent) && this.folder.foldString(parent) === value) return;
    if (parent && isNamePosition(node, parent)) return;
    this.report(named.rule, `the string ${JSON.stringify(value)} is a forbidden property name and may not appear as a value (as a run-time key it does what the name does). ${named.message}`, node);
  }

  /** Why a run-time key looks assembled from forbidden names or decoded, or null. */
  private suspiciousKey(key: Node, depth: number, seen = new Set<Variable>()): string | null {
    for (const node of subtree(key)) {
      if (node.type === "Literal" && typeof node.value === "string") {
        const piece = forbiddenPiece(node.value);
        if (piece) return `built from ${JSON.stringify(node.value)}, a piece of "${piece}"`;
      } else if (node.type === "TemplateElement") {
        const piece = forbiddenPiece(node.value.cooked ?? "");
        if (piece) return `built from ${JSON.stringify(node.value.cooked)}, a piece of "${piece}"`;
      } else if (node.type === "CallExpression") {
        const callee = unwrapChain(node.callee);
        if (callee.type === "Identifier" && DECODING_FUNCTIONS.has(callee.name) && this.program.isGlobalReference(callee)) return `decoded at run time with ${callee.name}()`;
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
    const sources: Node[] = [];
    for (const def of variable.defs) {
      if (def.type === "Variable" && def.node.init) sources.push(def.node.init);
    }
    for (const reference of variable.references) {
      if (reference.isWrite() && reference.writeExpr) sources.push(reference.writeExpr);
    }
    for (const source of sources) {
      const reason = this.suspiciousKey(source, depth + 1, seen);
      if (reason) return `${reason} (through \`${id.name}\`)`;
    }
    return null;
  }

  // ------------------------------------------------------------------ helpers

  /**
   * A global reference to a name no global of this Node has: reading it throws ReferenceError and
   * writing it would create a global. (The host runs the same Node as the sandbox; a name the host
   * has and the sandbox lacks is judged as a builtin, which is the stricter reading.)
   */
  private isUndeclared(id: ESTree.Identifier): boolean {
    return (
      this.program.isGlobalReference(id) &&
      !FORBIDDEN_GLOBALS.has(id.name) &&
      !GLOBAL_OBJECTS.has(id.name) &&
      id.name !== "console" &&
      !(id.name in globalThis)
    );
  }

  /** True when the expression certainly evaluates to a number (arithmetic, .length, counters). */
  private isNumeric(node: Node, depth: number, seen: Set<Variable>): boolean {
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
        return node.operator === "+" && node.left.type !== "PrivateIdentifier" && this.isNumeric(node.left, depth + 1, seen) && this.isNumeric(node.right, depth + 1, seen);
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
          if (parent?.type === "AssignmentExpression" && parent.operator !== "=" && parent.operator !== "+=" && parent.operator !== "||=" && parent.operator !== "&&=" && parent.operator !== "??=") return true;
          return reference.writeExpr !== null && reference.writeExpr !== undefined && this.isNumeric(reference.writeExpr, depth + 1, seen);
        });
      }
      default:
        return false;
    }
  }

  /** A function or class value: a literal one, or a name bound to one in this module. */
  private isFunctionValue(node: Node): boolean {
    if (node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression" || node.type === "ClassExpression") return true;
    return node.type === "Identifier" && this.isLocalConstructor(node);
  }

  /** `id` names a function or class declared in this module (so its prototype is the module's own). */
  private isLocalConstructor(id: ESTree.Identifier): boolean {
    const variable = this.program.variableOf(id);
    if (!variable || variable.defs.length !== 1) return false;
    const def = variable.defs[0]!;
    if (def.type === "FunctionName" || def.type === "ClassName") return true;
    if (def.type !== "Variable" || def.parent.kind !== "const" || !def.node.init) return false;
    const init = def.node.init.type;
    return init === "FunctionExpression" || init === "ClassExpression" || init === "ArrowFunctionExpression";
  }
}

function undeclaredMessage(name: string): string {
  return `\`${name}\` is never declared: in a module, assigning to an undeclared name throws ReferenceError (and would create a global); declare it with let or const.`;
}

const NUMERIC_OPERATORS = new Set(["-", "*", "/", "%", "**", "|", "&", "^", "<<", ">>", ">>>"]);
const NUMERIC_FUNCTIONS = new Set(["Number", "parseInt", "parseFloat"]);

function isImportBinding(variable: Variable): boolean {
  return variable.defs.some((def) => def.type === "ImportBinding");
}

function keyName(key: Node): string | null {
  if (key.type === "Identifier") return key.name;
  if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) return String(key.value);
  return null;
}

/** Identifiers and members written by an assignment target (patterns included). */
function writtenTargets(target: Node): Array<ESTree.Identifier | ESTree.MemberExpression> {
  const node = unwrapChain(target);
  switch (node.type) {
    case "Identifier":
    case "MemberExpression":
      return [node];
    case "ObjectPattern":
      return node.properties.flatMap((property) => writtenTargets(property.type === "RestElement" ? property.argument : property.value));
    case "ArrayPattern":
      return node.elements.flatMap((element) => (element ? writtenTargets(element) : []));
    case "RestElement":
      return writtenTargets(node.argument);
    case "AssignmentPattern":
      return writtenTargets(node.left);
    default:
      return [];
  }
}

function describeChain(node: Node): string {
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

function isStringProducer(node: Node): boolean {
  return (
    (node.type === "Literal" && typeof node.value === "string") ||
    node.type === "TemplateLiteral" ||
    node.type === "TaggedTemplateExpression" ||
    (node.type === "BinaryExpression" && node.operator === "+") ||
    node.type === "CallExpression" ||
    node.type === "SequenceExpression" ||
    (node.type === "MemberExpression" && node.computed)
  );
}

/** Strings used as names rather than values: object keys, class member names, module specifiers. */
function isNamePosition(node: Node, parent: Node): boolean {
  switch (parent.type) {
    case "Property":
    case "MethodDefinition":
    case "PropertyDefinition":
      return parent.key === node && !parent.computed;
    case "ImportDeclaration":
    case "ExportAllDeclaration":
    case "ExportNamedDeclaration":
      return true;
    case "ImportSpecifier":
    case "ExportSpecifier":
      return true;
    default:
      return false;
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
