/**
 * The order in which method lookup visits objects, shared by every adapter so that they resolve
 * alike: depth-first from the receiver, prototypes in link order, each object visited once (the
 * first path in link order wins, which makes a diamond deterministic and a cycle harmless), and no
 * object more than `maxDepth` links away from the receiver.
 */
import { InvalidInputError } from "../errors.js";

interface VisitedObject {
  id: string;
  /** Links followed from the receiver (0 = the receiver). */
  depth: number;
}

const DEFAULT_MAX_DEPTH = 32;

/** The lookup's depth limit: a whole number of links from 0 (default DEFAULT_MAX_DEPTH). */
export function checkMaxDepth(maxDepth: number | undefined): number {
  if (maxDepth === undefined) return DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 0) {
    throw new InvalidInputError(`maxDepth ${maxDepth} is not valid`, "use a whole number of prototype links from 0");
  }
  return maxDepth;
}

/**
 * Yields objects in lookup order. `prototypesOf` returns an object's prototypes in link order.
 * Lazy, so that a lookup stops reading links as soon as it finds its method.
 */
export function* walkPrototypes(
  receiverId: string,
  prototypesOf: (id: string) => readonly string[],
  maxDepth: number = DEFAULT_MAX_DEPTH,
): Generator<VisitedObject> {
  const visited = new Set<string>();
  // An explicit stack (not recursion): a long chain cannot overflow the call stack.
  const stack: VisitedObject[] = [{ id: receiverId, depth: 0 }];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (visited.has(next.id)) continue;
    visited.add(next.id);
    yield next;
    if (next.depth >= maxDepth) continue;
    const prototypes = prototypesOf(next.id);
    for (let i = prototypes.length - 1; i >= 0; i--) {
      const id = prototypes[i]!;
      if (!visited.has(id)) stack.push({ id, depth: next.depth + 1 });
    }
  }
}
