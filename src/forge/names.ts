/**
 * Tool names: what counts as one, and how the forge reads the name a spec asks for.
 *
 * The rule (documented in docs/forge.md), tried in this order on the spec with any leading
 * `TOOL_REQUIRED:` removed:
 *   1. The spec starts with a name and a colon, a dash or an opening parenthesis:
 *      `word_count: counts words…`, `` `word_count` — counts words…``, `word_count - counts words…`,
 *      `word_count(text: string) -> number: counts words`.
 *   2. The spec says `named X` or `called X` (X optionally quoted or in backticks):
 *      "a tool named word_count that…", "a tool called `word_count`".
 * X must be a tool name (src/contract.ts: snake_case, at most 64 characters, not reserved) and not
 * one of the generic words a sentence might begin with ("tool:", "input:", …). Otherwise the spec
 * names no tool and the model picks.
 */
import { isToolName, MAX_SPEC_CHARS } from "../contract.js";
import { InvalidInputError } from "../errors.js";

import { stripToolRequiredMarker } from "../personas/tool-request.js";

export { isSelector, isToolName } from "../contract.js";

/** Leading words that introduce a spec rather than name a tool. */
const GENERIC_WORDS = new Set([
  "tool",
  "tools",
  "spec",
  "task",
  "input",
  "inputs",
  "output",
  "outputs",
  "returns",
  "note",
  "name",
  "description",
  "goal",
  "need",
  "required",
]);

/** The spec without a `TOOL_REQUIRED:` prefix (in any of its forms) and surrounding whitespace. */
export function cleanSpec(spec: string): string {
  return stripToolRequiredMarker(spec).trim();
}

/** Refuses a spec longer than the forge takes (MAX_SPEC_CHARS), whatever door it came through. */
export function checkSpecLength(spec: string): void {
  if (spec.length <= MAX_SPEC_CHARS) return;
  throw new InvalidInputError(
    `the spec is ${spec.length} characters long; the most the forge takes is ${MAX_SPEC_CHARS}`,
    "shorten it to what the tool or method must do: its input, its output and an example",
  );
}

const LEADING_NAME = /^[`'"]?([A-Za-z][A-Za-z0-9_]*)[`'"]?\s*(?::|\(|\s[-–—]\s|[-–—]\s)/;
const NAMED_OR_CALLED = /\b(?:named|called)\s+[`'"]?([A-Za-z][A-Za-z0-9_]*)[`'"]?/;

/** The snake_case tool name the spec asks for, or null when it names none (see the rule above). */
export function requestedToolName(spec: string): string | null {
  const text = cleanSpec(spec);
  for (const pattern of [LEADING_NAME, NAMED_OR_CALLED]) {
    const candidate = pattern.exec(text)?.[1];
    if (candidate && isToolName(candidate) && !GENERIC_WORDS.has(candidate)) return candidate;
  }
  return null;
}
