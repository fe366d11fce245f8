/**
 * Forbidden names as string values: a string that spells a property refused on any object
 * ("constructor", "__proto__", …, ../names.ts FORBIDDEN_PROPERTIES), however it is built
 * (`["con", "structor"].join("")`, `atob(…)`, `String.fromCharCode(…)`), is refused where it is a
 * value, because as a run-time key it does what the name does. Strings used as names (object keys,
 * class members, module specifiers) are not values.
 */
import { FORBIDDEN_PROPERTIES } from "../names.js";
import type { Node } from "../program.js";
import type { RuleFamily, SecurityContext } from "./context.js";

/** The rules a forbidden property name can carry (the values of FORBIDDEN_PROPERTIES). */
const NAMED_RULES = [...new Set([...FORBIDDEN_PROPERTIES.values()].map((named) => named.rule))];

export const strings: RuleFamily = {
  name: "strings",
  rules: NAMED_RULES,
  create: (context) => {
    const check = (node: Node) => constantString(context, node);
    return {
      Literal: check,
      TemplateLiteral: check,
      TaggedTemplateExpression: check,
      BinaryExpression: check,
      CallExpression: check,
      SequenceExpression: check,
    };
  },
};

function constantString(context: SecurityContext, node: Node): void {
  if (!isStringProducer(node)) return;
  const value = context.folder.foldString(node);
  if (value === null) return;
  const named = FORBIDDEN_PROPERTIES.get(value);
  if (!named) return;
  const parent = context.program.parentOf(node);
  // Judged once, at the outermost expression that produces the string.
  if (parent && isStringProducer(parent) && context.folder.foldString(parent) === value) return;
  if (parent && isNamePosition(node, parent)) return;
  context.report(
    named.rule,
    `the string ${JSON.stringify(value)} is a forbidden property name and may not appear as a value (as a run-time key it does what the name does). ${named.message}`,
    node,
  );
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
    case "ImportSpecifier":
    case "ExportSpecifier":
      return true;
    default:
      return false;
  }
}
