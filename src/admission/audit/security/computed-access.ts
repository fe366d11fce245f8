/**
 * Computed access with a key that is not known before run time (`x[k]`): refused on globals,
 * builtins and imports (global-computed) and on functions and classes, where it can reach their
 * constructor (constructor-access); elsewhere refused when the key is assembled from pieces of a
 * forbidden name or decoded at run time (computed-key). A key that is certainly a number passes.
 */
import type * as ESTree from "estree";
import { unwrapChain, type Node } from "../program.js";
import { describeShared, type RuleFamily, type SecurityContext } from "./context.js";

export const computedAccess: RuleFamily = {
  name: "computed-access",
  rules: ["global-computed", "constructor-access", "computed-key"],
  create: (context) => ({
    MemberExpression(member) {
      if (!member.computed || member.property.type === "PrivateIdentifier") return;
      const folded = context.folder.fold(member.property);
      if (typeof folded === "string" || typeof folded === "number") return; // a known key: ./reflection.ts
      dynamicKey(context, member, unwrapChain(member.object));
    },
    Property(property) {
      const parent = context.program.parentOf(property);
      if (parent?.type !== "ObjectPattern" || !property.computed) return;
      if (context.folder.foldString(property.key) !== null) return; // a known key: ./reflection.ts
      const reason = context.suspiciousKey(property.key);
      if (reason) context.report("computed-key", `destructuring key ${reason}; use literal keys.`, property.key);
    },
  }),
};

function dynamicKey(context: SecurityContext, member: ESTree.MemberExpression, object: Node): void {
  // A number can never be "constructor" or "__proto__": indexing is ordinary code.
  if (context.isNumeric(member.property)) return;
  if (object.type === "Identifier") {
    const root = context.identifierRoot(object);
    switch (root.kind) {
      case "global-object": // reported with the global object itself (./globals.ts)
      case "undeclared": // reading it throws ReferenceError; writing it is reported by ./writes.ts
        return;
      case "console":
      case "forbidden":
      case "builtin":
        context.report(
          "global-computed",
          `\`${object.name}[…]\` with a run-time key can reach its constructor or internals; name the member you need.`,
          member.property,
        );
        return;
      case "import":
        context.report(
          "global-computed",
          `\`${object.name}[…]\` with a run-time key on an imported object is not allowed; call its methods by name.`,
          member.property,
        );
        return;
      case "alias":
        // Reported, and still judged below as the local it also is (an assembled key says more).
        context.report(
          "global-computed",
          `\`${object.name}[…]\` with a run-time key: \`${object.name}\` holds ${describeShared(root.of)}, whose constructor or internals such a key can reach; name the member you need.`,
          member.property,
        );
        break;
      default:
        break;
    }
  }
  if (context.isFunctionValue(object)) {
    context.report(
      "constructor-access",
      "computed access with a run-time key on a function or class can reach its constructor (Function); name the member you need.",
      member.property,
    );
    return;
  }
  const reason = context.suspiciousKey(member.property);
  if (reason)
    context.report(
      "computed-key",
      `computed property key ${reason}: keys like this are how "constructor" and "__proto__" get smuggled past a review; use literal keys.`,
      member.property,
    );
}
