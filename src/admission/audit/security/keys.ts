/** Small readers of property keys and destructuring patterns, shared by the rule families. */
import type * as ESTree from "estree";
import { unwrapChain, type Node, type ProgramInfo } from "../program.js";

/** The name of a non-computed key (`a`, `"a"`, `1`), or null. */
export function keyName(key: Node): string | null {
  if (key.type === "Identifier") return key.name;
  if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) return String(key.value);
  return null;
}

/** The object a destructuring pattern reads from, when it is written right there. */
export function patternSource(program: ProgramInfo, pattern: ESTree.ObjectPattern): Node | null {
  const parent = program.parentOf(pattern);
  if (parent?.type === "VariableDeclarator" && parent.id === pattern && parent.init) return unwrapChain(parent.init);
  if (parent?.type === "AssignmentExpression" && parent.left === pattern) return unwrapChain(parent.right);
  return null;
}
