/**
 * Assignments: assignment, update (`++`), `delete` and for-in/of targets, and the targets of
 * Object.assign/defineProperty (through ./reflection.ts). What is shared by all code in the process
 * is read-only: builtins and their prototypes, the global object, console and the imports, also
 * through a local that holds one of them (`const M = Math; M.random = …`). So is any `.prototype`
 * that is not of a function or class of the module. A name never declared may not be assigned.
 */
import type * as ESTree from "estree";
import { unwrapChain, type Node } from "../program.js";
import type { AuditRule } from "../rules.js";
import {
  describeChain,
  describeShared,
  isGlobalRoot,
  type Root,
  type RuleFamily,
  type SecurityContext,
  type SharedRoot,
} from "./context.js";

export const writes: RuleFamily = {
  name: "writes",
  rules: ["undeclared-assignment", "builtin-prototype-mutation", "global-object", "imported-binding-mutation"],
  create: (context) => ({
    AssignmentExpression(node) {
      mutation(context, node.left);
    },
    UpdateExpression(node) {
      mutation(context, node.argument);
    },
    UnaryExpression(node) {
      if (node.operator === "delete") mutation(context, node.argument);
    },
    ForInStatement(node) {
      if (node.left.type !== "VariableDeclaration") mutation(context, node.left);
    },
    ForOfStatement(node) {
      if (node.left.type !== "VariableDeclaration") mutation(context, node.left);
    },
  }),
};

const SHARED = "builtins, their prototypes, the global object and the imports are shared by all code in the process.";

function mutation(context: SecurityContext, target: Node): void {
  for (const written of writtenTargets(target)) {
    if (written.type === "MemberExpression") {
      memberWrite(context, written);
      continue;
    }
    const root = context.identifierRoot(written);
    if (root.kind === "undeclared") {
      context.report("undeclared-assignment", undeclaredMessage(written.name), written);
    } else if (root.kind === "builtin") {
      context.report(
        "builtin-prototype-mutation",
        `assigning to the global \`${written.name}\` replaces it for everything in the process; declare a local variable (let/const) instead.`,
        written,
      );
    }
  }
}

function memberWrite(context: SecurityContext, member: ESTree.MemberExpression): void {
  const chain = context.memberChain(member);
  const path = describeChain(member);
  if (chain.root.type === "Identifier") {
    const root = context.identifierRoot(chain.root);
    if (root.kind === "undeclared") {
      context.report("undeclared-assignment", undeclaredMessage(root.name), member);
      return;
    }
    if (root.kind === "alias") {
      // Also judged below as a local (its `.prototype` links), so nothing the chain shows is lost.
      const shared = sharedWrite(root.of);
      if (shared) context.report(shared.rule, `\`${path}\` = …: \`${root.name}\` holds ${describeShared(root.of)}; ${shared.why}`, member);
    }
    if (root.kind === "import") {
      context.report("imported-binding-mutation", `\`${path}\` = …: the imported ${root.name} may not be patched.`, member);
      return;
    }
    if (root.kind === "console" || root.kind === "global-object" || root.kind === "builtin") {
      const shared = sharedWrite(root)!;
      context.report(shared.rule, `\`${path}\` = …: ${shared.why}`, member);
      return;
    }
    if (root.kind === "forbidden") return; // the name itself is reported by ./globals.ts
  }
  if (chain.touchesPrototype && !(chain.root.type === "Identifier" && context.isLocalConstructor(chain.root))) {
    context.report(
      "builtin-prototype-mutation",
      `\`${path}\` = …: only the prototypes of classes and functions declared in this module may be changed.`,
      member,
    );
  }
}

/** The rule and words for a write to something shared; null for a forbidden global (reported where it is named). */
function sharedWrite(root: SharedRoot): { rule: AuditRule; why: string } | null {
  switch (root.kind) {
    case "console":
      return { rule: "imported-binding-mutation", why: "console may not be patched." };
    case "global-object":
      return { rule: "global-object", why: "writing to the global object is not allowed; use a local variable." };
    case "builtin":
      return {
        rule: "builtin-prototype-mutation",
        why: "builtins and their prototypes are shared by all code in the process and may not be changed.",
      };
    case "import":
      return { rule: "imported-binding-mutation", why: `the imported ${root.name} may not be patched.` };
    case "forbidden":
      return null;
  }
}

/** Whether a target passed to Object.assign/defineProperty is shared; what it is and why, if it is. */
export function protectedTarget(context: SecurityContext, node: Node): { rule: AuditRule; what: string; why: string } | null {
  const target = unwrapChain(node);
  if (target.type === "Identifier") return protectedRoot(context.identifierRoot(target), target.name);
  if (target.type === "ThisExpression" && !context.program.hasOwnThis(target))
    return { rule: "global-object", what: "the module's `this`", why: SHARED };
  if (target.type === "MemberExpression") {
    const chain = context.memberChain(target);
    const root: Root = chain.root.type === "Identifier" ? context.identifierRoot(chain.root) : { kind: "value" };
    const what = `\`${describeChain(target)}\``;
    const shared = root.kind === "alias" || isGlobalRoot(root);
    const localConstructor = root.kind === "local-constructor";
    if (shared || (chain.touchesPrototype && !localConstructor)) return { rule: "builtin-prototype-mutation", what, why: SHARED };
    if (root.kind === "import") return { rule: "imported-binding-mutation", what, why: `the imported ${root.name} may not be patched.` };
  }
  return null;
}

function protectedRoot(root: Root, name: string): { rule: AuditRule; what: string; why: string } | null {
  switch (root.kind) {
    case "console":
      return { rule: "imported-binding-mutation", what: "console", why: "console may not be patched." };
    case "global-object":
      return { rule: "global-object", what: name, why: SHARED };
    case "forbidden":
    case "builtin":
    case "undeclared":
      return { rule: "builtin-prototype-mutation", what: `the builtin ${name}`, why: SHARED };
    case "import":
      return { rule: "imported-binding-mutation", what: `the imported ${name}`, why: SHARED };
    case "alias": {
      const of = protectedRoot(root.of, root.of.name);
      return of && { ...of, what: `\`${name}\`, which holds ${describeShared(root.of)}` };
    }
    default:
      return null;
  }
}

function undeclaredMessage(name: string): string {
  return `\`${name}\` is never declared: in a module, assigning to an undeclared name throws ReferenceError (and would create a global); declare it with let or const.`;
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
