/**
 * How the library's entries and the queries against it become search terms: ONE definition for
 * every store (SQLite's FTS5 and ArangoSearch index the terms made here, and the forge judges a
 * match with them), so both stores rank alike and a change here is a change everywhere.
 *
 *   "count_words", "countWords", "CountWords"  → count word
 *   "Counts the words in a text."              → count word text
 *
 * Steps: split identifiers (snake_case, camelCase, digits) and text into words, lowercase, drop
 * stopwords, stem (Porter), then map a few programming synonyms onto one term (largest/biggest/
 * maximum → max). Bump LIBRARY_TEXT_VERSION whenever the output of `terms` changes: each store
 * rebuilds its index from the active versions when the stamp it finds is different.
 */

import { InvalidInputError } from "../errors.js";
import { stem } from "./porter-stemmer.js";
import type { LibraryFields, LibrarySearchOptions } from "./library-types.js";

export const LIBRARY_TEXT_VERSION = 1;

/** Words that carry no meaning for finding a tool (question words, articles, filler of requests). */
const STOPWORDS = new Set(
  (
    "a an the and or but if then else of to in on at by for with from into onto as is are was were be been being " +
    "do does did doing done have has had having i me my we our you your he she it its they them their this that these those " +
    "what which who whom whose when where why how can could would should will shall may might must please pleas " +
    "tell give me show let us want need like just also some any all each every there here than so such very " +
    "about above after again against before below between both during further more most other own same too " +
    "only not no nor up down out off over under once s t using use via per whether get gets got " +
    "given return returns returned function write takes take example examples e g ie eg"
  ).split(/\s+/),
);

/**
 * Synonym groups of programming vocabulary: every word of a group becomes the group's first word
 * (after stemming), in the index and in queries alike. Only words that mean the same thing in a
 * tool's description; ambiguous ones ("add" = sum or append, "times" = multiply or clock time) stay out.
 */
const SYNONYM_GROUPS: string[][] = [
  ["max", "maximum", "largest", "biggest", "greatest", "highest"],
  ["min", "minimum", "smallest", "lowest", "least"],
  ["remove", "delete", "drop", "strip", "discard", "eliminate"],
  ["reverse", "reversed", "backward", "backwards"],
  ["sum", "total", "summation"],
  ["product", "multiply", "multiplication"],
  ["sort", "sorted", "order", "arrange"],
  ["count", "tally", "many"],
  ["string", "text", "str"],
  ["list", "array", "sequence", "vector"],
  ["number", "numeric", "num", "integer", "int", "float"],
  ["check", "verify", "determine", "validate"],
  ["length", "len", "size"],
  ["unique", "distinct", "deduplicate", "dedupe"],
  ["convert", "transform"],
  ["character", "char", "letter"],
  ["find", "search", "locate"],
  ["average", "mean"],
  ["lowercase", "lower"],
  ["uppercase", "upper"],
  ["divisible", "divide", "divisor", "divisibility"],
  ["fibonacci", "fib"],
  // Added after the first recall measurement (bench/library-queries.md says which and why).
  ["concatenate", "join", "concat"],
  ["below", "under", "beneath"],
  ["cumulative", "running", "rolling"],
  ["filter", "keep"],
  ["increment", "incremented", "incr"],
];

/** Two-word phrases of requests that mean one programming term ("add up" → sum). */
const PHRASES: [string, string, string][] = [
  ["add", "up", "sum"],
  ["how", "many", "count"],
  ["how", "often", "count"],
  ["how", "long", "length"],
  ["pick", "out", "filter"],
];

let synonyms: Map<string, string> | null = null;

/** stem(word) → stem(group's first word); built on first use. */
function synonymOf(stemmed: string): string {
  if (!synonyms) {
    synonyms = new Map();
    for (const group of SYNONYM_GROUPS) {
      const canonical = stem(group[0]!);
      for (const word of group) if (!synonyms.has(stem(word))) synonyms.set(stem(word), canonical);
    }
  }
  return synonyms.get(stemmed) ?? stemmed;
}

/** Identifiers and prose → lowercase words: `countWords_inUTF8Text` → count words in utf8 text. */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

/**
 * The search terms of a text, in order (with repeats: they count for BM25's term frequency).
 * Bare numbers and single letters are left out: the values in a request ("is 101 prime?") and
 * one-letter argument names say nothing about which tool is meant.
 */
export function terms(text: string): string[] {
  const out: string[] = [];
  const all = words(text);
  for (let i = 0; i < all.length; i++) {
    const phrase = PHRASES.find(([first, second]) => all[i] === first && all[i + 1] === second);
    if (phrase) {
      out.push(synonymOf(stem(phrase[2])));
      i++;
      continue;
    }
    const word = all[i]!;
    if (word.length < 2 || /^[0-9]+$/.test(word) || STOPWORDS.has(word)) continue;
    const stemmed = stem(word);
    if (stemmed.length === 0 || STOPWORDS.has(stemmed)) continue;
    out.push(synonymOf(stemmed));
  }
  return out;
}

/** Distinct terms of a query, first occurrence first, at most `max` (long notes make slow, vague queries). */
export function queryTerms(text: string, max = 48): string[] {
  return [...new Set(terms(text))].slice(0, max);
}

/** What the library indexes about one tool version or method version. */
export interface LibraryEntry {
  kind: "tool" | "method";
  /** The tool name, or the method's selector. */
  name: string;
  /** Methods: the object that holds the method; null for tools. */
  objectId: string | null;
  version: number;
  description: string;
  /** The input schema (tools): its property names and their descriptions are indexed. */
  schema: unknown;
  /** The spec it was forged from (null when it was added by hand or imported). */
  spec: string | null;
}

/** Relative weights of the fields in BM25 (the name says most, a long spec least per word). */
export const FIELD_WEIGHTS: Readonly<Record<keyof LibraryFields, number>> = { name: 4, description: 2, args: 1, spec: 1 };

export function libraryFields(entry: LibraryEntry): LibraryFields {
  const nameText = entry.objectId === null ? entry.name : `${entry.name} ${entry.objectId}`;
  return {
    name: terms(nameText).join(" "),
    description: terms(entry.description).join(" "),
    args: terms(argumentText(entry.schema)).join(" "),
    spec: terms(entry.spec ?? "").join(" "),
  };
}

/**
 * How much of a query an entry covers, from 0 to 1: each query term counts with the weight of the
 * best field that contains it, over what the query would score if every term were in the name.
 * Unlike BM25 it does not depend on the rest of the library, so it can compare entries from
 * different places (built-ins and the store) and be held against a fixed threshold.
 */
export function coverage(wanted: readonly string[], fields: LibraryFields): number {
  if (wanted.length === 0) return 0;
  const sets = (Object.keys(FIELD_WEIGHTS) as (keyof LibraryFields)[]).map((field) => ({
    weight: FIELD_WEIGHTS[field],
    terms: new Set(fields[field].split(" ")),
  }));
  let score = 0;
  for (const term of wanted) {
    let best = 0;
    for (const { weight, terms: present } of sets) if (weight > best && present.has(term)) best = weight;
    score += best;
  }
  return score / (FIELD_WEIGHTS.name * wanted.length);
}

/** The property names and descriptions of a JSON Schema (one level, plus items of arrays). */
function argumentText(schema: unknown): string {
  if (!isObject(schema)) return "";
  const properties = schema["properties"];
  if (!isObject(properties)) return "";
  const parts: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    parts.push(name);
    if (isObject(property) && typeof property["description"] === "string") parts.push(property["description"]);
  }
  return parts.join(" ");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- search options (both stores)

export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 100;
export function checkSearchOptions(options: LibrarySearchOptions = {}): { limit: number; kind: "tool" | "method" | null } {
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new InvalidInputError(`search limit ${limit} is not valid`, `use a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  const kind = options.kind ?? null;
  if (kind !== null && kind !== "tool" && kind !== "method") {
    throw new InvalidInputError(`search kind ${JSON.stringify(kind)} is not valid`, 'use "tool" or "method"');
  }
  return { limit, kind };
}
