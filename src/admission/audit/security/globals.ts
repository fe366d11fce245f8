/**
 * Global access: names that reach the process or compile code (process, require, eval, Function,
 * fetch, …, from ../names.ts FORBIDDEN_GLOBALS), the global object itself (globalThis, global,
 * self, window, the module's top-level `this`), Reflect beyond ownKeys/has, and console or an import
 * handled as a value instead of being called.
 */
import type * as ESTree from "estree";
import { ALLOWED_REFLECT, FORBIDDEN_GLOBALS, GLOBAL_OBJECTS } from "../names.js";
import { staticPropertyName, type Node } from "../program.js";
import type { RuleFamily, SecurityContext } from "./context.js";

export const globals: RuleFamily = {
  name: "globals",
  rules: [
    "process",
    "require",
    "eval",
    "function-constructor",
    "reflect-proxy",
    "network",
    "buffer",
    "webassembly",
    "shared-memory",
    "module-internals",
    "global-object",
    "global-computed",
    "imported-binding-mutation",
  ],
  create: (context) => ({
    Identifier(id) {
      const root = context.identifierRoot(id);
      const parent = context.program.parentOf(id);
      if (root.kind === "import") return importedBindingUse(context, id, root.name);
      if (root.kind === "local" || root.kind === "local-constructor" || root.kind === "alias") return;
      // `typeof process !== "undefined"` only reads a type name: feature detection is harmless.
      if (parent?.type === "UnaryExpression" && parent.operator === "typeof") return;
      if (root.kind === "global-object") return globalObject(context, id, parent);
      if (root.kind === "console") return importedBindingUse(context, id, "console");
      if (root.kind === "builtin" && id.name === "Reflect") return reflect(context, id, parent);
      if (id.name === "Function" && parent?.type === "BinaryExpression" && parent.operator === "instanceof" && parent.right === id) return;
      if (root.kind === "forbidden") context.reportNamed(root.named, id);
    },
    ThisExpression(node) {
      if (!context.program.hasOwnThis(node)) {
        context.report(
          "global-object",
          "`this` at the top of a module (outside any function or class) is not allowed; it never refers to anything a tool needs.",
          node,
        );
      }
    },
  }),
};

function globalObject(context: SecurityContext, id: ESTree.Identifier, parent: Node | null): void {
  if (parent?.type === "MemberExpression" && parent.object === id) {
    if (parent.computed) {
      const key = context.folder.foldString(parent.property);
      const shown = key === null ? "a run-time key" : JSON.stringify(key);
      context.report(
        "global-computed",
        `\`${id.name}[${shown}]\`: computed access on the global object can reach anything (process, Function, …); name what you need directly.`,
        id,
      );
      return;
    }
    const property = staticPropertyName(parent);
    const named = property === null ? undefined : FORBIDDEN_GLOBALS.get(property);
    if (named) context.reportNamed(named, parent.property, `\`${id.name}.${property}\`: `);
    else if (property !== null && GLOBAL_OBJECTS.has(property))
      context.report("global-object", `\`${id.name}.${property}\` is the global object again; it is not allowed.`, parent.property);
    return;
  }
  context.report("global-object", `\`${id.name}\` (the global object) may not be used as a value; use the globals you need by name.`, id);
}

function reflect(context: SecurityContext, id: ESTree.Identifier, parent: Node | null): void {
  if (parent?.type === "MemberExpression" && parent.object === id) {
    const property = staticPropertyName(parent);
    if (property !== null && ALLOWED_REFLECT.has(property)) return;
    context.report(
      "reflect-proxy",
      `\`Reflect.${property ?? "[…]"}\` is not allowed (only Reflect.ownKeys and Reflect.has are); use ordinary property access and calls.`,
      id,
    );
    return;
  }
  context.report("reflect-proxy", "`Reflect` may not be used as a value (only Reflect.ownKeys and Reflect.has are allowed).", id);
}

/** console and the imported assert: calls and method calls are fine; the object itself stays put. */
function importedBindingUse(context: SecurityContext, id: ESTree.Identifier, name: string): void {
  const parent = context.program.parentOf(id);
  if (parent?.type === "MemberExpression" && parent.object === id) return;
  if ((parent?.type === "CallExpression" || parent?.type === "NewExpression") && parent.callee === id) return;
  if (parent?.type === "UnaryExpression" && parent.operator === "typeof") return;
  context.report(
    "imported-binding-mutation",
    `\`${name}\` may only be called or have its methods called; passing the object itself around lets code patch it.`,
    id,
  );
}
