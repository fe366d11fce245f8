/**
 * Find before forging: before a spec is forged, the library is searched, and an active tool that
 * matches it well enough is offered instead (forge run status "reused", no model call).
 *
 * The store's BM25 ranks the candidates; whether one of them is "the same tool" is judged by a
 * strength that does not depend on the size of the library (BM25 scores do), the mean of three
 * shares, each from 0 to 1:
 *
 *   name:  Jaccard similarity of the requested name's terms and the tool's name's terms
 *          ("count_words" and "word_count" → 1);
 *   what:  the share of the spec's description terms (before "Input:") that the tool's name or
 *          description contains;
 *   back:  the share of the tool's name and first description terms that the spec contains —
 *          a tool that says more than was asked ("Brazilian factorial", "sum of the ASCII codes of
 *          the upper case letters") is another tool.
 *
 * A "<a>_to_<b>" name offered for a "<b>_to_<a>" request (binary_to_decimal for decimal_to_binary)
 * has strength 0.
 *
 * REUSE_THRESHOLD was chosen on a labelled set (bench/library-reuse-specs.jsonl): 42 paraphrased
 * specs of tools in the benchmark library and 40 specs of tools it does not have, most of them near
 * misses (count_consonants next to vowels_count, lcm next to gcd, factorial next to
 * special_factorial). Precision comes first: a wrong reuse hands BRICK a tool that does something
 * else, a missed one only costs a forge. docs/benchmarks.md (the reuse threshold) has the measured
 * precision and recall at each threshold (`npm run bench -- library` prints them).
 */
import { queryTerms, terms } from "../store/library-text.js";
import type { Store } from "../store/types.js";
import type { LibraryHit } from "../store/library-types.js";
import { requestedToolName } from "./names.js";

export const REUSE_THRESHOLD = 0.8;

/** How many of the best BM25 hits are judged. */
const CANDIDATES = 5;

export interface ReuseCandidate {
  name: string;
  version: number;
  /** The match strength (0–1) that reached the threshold. */
  strength: number;
}

const distinct = (text: string) => new Set(text.split(" ").filter(Boolean));

function share(part: Set<string>, whole: Set<string>): number {
  if (part.size === 0) return 0;
  let found = 0;
  for (const term of part) if (whole.has(term)) found++;
  return found / part.size;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  const union = new Set([...a, ...b]).size;
  return union === 0 ? 0 : (share(a, b) * a.size) / union;
}

/** The two sides of a "<a>_to_<b>" name, as terms; null for other names. */
function directions(name: string): [Set<string>, Set<string>] | null {
  const parts = name.split("_");
  const at = parts.indexOf("to");
  if (at <= 0 || at === parts.length - 1) return null;
  return [new Set(terms(parts.slice(0, at).join(" "))), new Set(terms(parts.slice(at + 1).join(" ")))];
}

/** True when both names convert between the same things in opposite directions. */
function oppositeDirections(requested: string, offered: string): boolean {
  const a = directions(requested);
  const b = directions(offered);
  if (!a || !b) return false;
  return share(a[0], b[1]) + share(a[1], b[0]) > share(a[0], b[0]) + share(a[1], b[1]);
}

/** How strongly a library entry matches a spec (0–1; see above). */
export function matchStrength(spec: string, hit: Pick<LibraryHit, "name" | "fields">): number {
  const requested = requestedToolName(spec) ?? "";
  if (requested && oppositeDirections(requested, hit.name)) return 0;
  const described = spec.replace(/^[^:\n]*:/, "").split(/\bInput\s*:/i)[0] ?? "";
  const specTerms = new Set(queryTerms(spec));
  const toolName = distinct(hit.fields.name);
  const toolText = new Set([...toolName, ...distinct(hit.fields.description)]);
  const toolHead = new Set([...toolName, ...hit.fields.description.split(" ").filter(Boolean).slice(0, 16)]);
  const name = jaccard(new Set(terms(requested)), toolName);
  const what = share(new Set(queryTerms(described)), toolText);
  const back = share(toolHead, specTerms);
  return (name + what + back) / 3;
}

/** The active tool to offer for `spec` instead of forging, or null (then the spec is forged). */
export async function findReusableTool(store: Store, spec: string, threshold = REUSE_THRESHOLD): Promise<ReuseCandidate | null> {
  const hits = await store.searchLibrary(spec, { kind: "tool", limit: CANDIDATES });
  let best: ReuseCandidate | null = null;
  for (const hit of hits) {
    const strength = matchStrength(spec, hit);
    if (strength >= threshold && (best === null || strength > best.strength)) best = { name: hit.name, version: hit.version, strength };
  }
  return best;
}
