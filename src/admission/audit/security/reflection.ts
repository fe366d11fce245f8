/**
 * Reflection and prototype tricks, judged on property names that are known before run time
 * (`a.b`, `a["b"]`, a key the constant folder can compute, a destructured key): `.constructor`,
 * `__proto__` and its friends, V8's stack trace API, `caller`/`callee`, Node's loader internals
 * (../names.ts FORBIDDEN_PROPERTIES, on any object), members refused on one global
 * (`process.binding`, `Symbol.species`, `Object.getPrototypeOf`, …), `__proto__:` in object
 * literals, and Object.assign/defineProperty/defineProperties aimed at something shared.
 */
import type * as ESTree from "estree";
import { FORBIDDEN_GLOBAL_PROPERTIES, FORBIDDEN_PROPERTIES, WRITING_OBJECT_METHODS } from "../names.js";
import { unwrapChain, type Node } from "../program.js";
import { isGlobalRoot, type RuleFamily, type SecurityContext } from "./context.js";
import { keyName, patternSource } from "./keys.js";
import { protectedTarget } from "./writes.js";

export const reflection: RuleFamily = {
  name: "reflection",
  rules: [
    "constructor-access",
    "proto",
    "stack-trace-api",
    "caller-callee",
    "module-internals",
    "symbol-tricks",
    "global-object",
    "builtin-prototype-mutation",
    "imported-binding-mutation",
  ],
  create: (context) => ({
    MemberExpression(member) {
      if (member.property.type === "PrivateIdentifier") return;
      const object = unwrapChain(member.object);
      if (!member.computed) {
        propertyRead(context, (member.property as ESTree.Identifier).name, object, member.property, member);
        return;
      }
      const folded = context.folder.fold(member.property);
      if (typeof folded === "string" || typeof folded === "number") propertyRead(context, String(folded), object, member.property, member);
    },
    Property(property) {
      const parent = context.program.parentOf(property);
      const key = property.computed ? context.folder.foldString(property.key) : keyName(property.key);
      if (parent?.type === "ObjectExpression") {
        if (!property.computed && !property.shorthand && property.kind === "init" && !property.method && key === "__proto__") {
          context.report("proto", "`__proto__:` in an object literal sets its prototype; use Object.create or a class.", property.key);
        }
        return;
      }
      if (parent?.type !== "ObjectPattern" || key === null) return;
      propertyRead(context, key, patternSource(context.program, parent), property.key, null);
    },
  }),
};

/** A property name that is read from `object` (member access or destructuring). */
function propertyRead(context: SecurityContext, name: string, object: Node | null, at: Node, member: ESTree.MemberExpression | null): void {
  const named = FORBIDDEN_PROPERTIES.get(name);
  if (named) {
    context.reportNamed(named, at);
    return;
  }
  if (object?.type !== "Identifier" || !isGlobalRoot(context.identifierRoot(object))) return;
  const special = FORBIDDEN_GLOBAL_PROPERTIES.get(object.name)?.get(name);
  if (special) {
    context.reportNamed(special, at);
    return;
  }
  if (object.name === "Object" && WRITING_OBJECT_METHODS.has(name)) writingObjectMethod(context, name, at, member);
}

/** Object.defineProperty/defineProperties/assign: fine on the module's own objects, refused on shared ones. */
function writingObjectMethod(context: SecurityContext, name: string, at: Node, member: ESTree.MemberExpression | null): void {
  const call = member ? context.program.parentOf(member) : null;
  if (!member || call?.type !== "CallExpression" || call.callee !== member) {
    context.report("builtin-prototype-mutation", `\`Object.${name}\` may only be called directly (so that its target can be checked).`, at);
    return;
  }
  const target = call.arguments[0];
  if (!target || target.type === "SpreadElement") {
    if (target) context.report("builtin-prototype-mutation", `\`Object.${name}(...spread)\`: the target must be written out.`, at);
    return;
  }
  const shared = protectedTarget(context, target);
  if (shared) context.report(shared.rule, `\`Object.${name}\` on ${shared.what}: ${shared.why}`, at);
}
