/** What `searchLibrary` takes and finds: the indexed fields of a library entry, the options, a hit. */

/** The indexed fields of a library entry, each a space-separated string of terms (made by library-text.ts). */
export interface LibraryFields {
  name: string;
  description: string;
  args: string;
  spec: string;
}

export interface LibrarySearchOptions {
  /** How many hits at most (default 10, at most 100). */
  limit?: number;
  /** Only tools, or only methods (default: both). */
  kind?: "tool" | "method";
}

/** One active tool version or method version found by `searchLibrary`. */
export interface LibraryHit {
  kind: "tool" | "method";
  /** The tool's name, or the method's selector. */
  name: string;
  /** Methods: the object that holds the method; null for tools. */
  objectId: string | null;
  version: number;
  description: string;
  /** BM25 relevance (higher is better); comparable only between the hits of one search. */
  score: number;
  /** The entry's indexed terms (see library-text.ts), for callers that judge how well it matches. */
  fields: LibraryFields;
}
