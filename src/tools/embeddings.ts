/**
 * Optional semantic ranking (EMBED_MODEL): the library's BM25 candidates are re-ranked by the
 * cosine similarity of Ollama embeddings (`POST /api/embed`) of the request and of each tool's name
 * and description. BM25 still decides which tools are candidates (embeddings cannot find a tool
 * that shares no word with the request); the final score is the mean of the BM25 score relative
 * to the best candidate and the cosine similarity. Embeddings of tools are kept in memory per
 * (model, name, description). When Ollama fails, the BM25 order is kept and a warning says why
 * (once per failure streak): search never breaks because embeddings are unavailable.
 */
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import { errorMessage } from "../errors.js";
import type { ToolMatch } from "./types.js";

export interface EmbeddingRerankOptions {
  ollamaHost: string;
  model: string;
  /** Milliseconds before an /api/embed request is abandoned (default 10 s). */
  timeoutMs?: number;
  /** Embeddings kept in memory (default 20,000). */
  cacheSize?: number;
  /** Where an embedding model that stopped answering is reported (default: process warnings). */
  diagnostics?: Diagnostics;
}

export type Rerank = (query: string, matches: ToolMatch[]) => Promise<ToolMatch[]>;

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export function createEmbeddingRerank(options: EmbeddingRerankOptions): Rerank {
  const cache = new Map<string, number[]>();
  const cacheSize = options.cacheSize ?? 20_000;
  let failing = false;

  async function embed(texts: string[]): Promise<number[][]> {
    const response = await fetch(`${options.ollamaHost}/api/embed`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: options.model, input: texts }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
    const body = (await response.json()) as { embeddings?: unknown };
    const embeddings = body.embeddings;
    if (!Array.isArray(embeddings) || embeddings.length !== texts.length) throw new Error("the answer has no embedding per input");
    return embeddings as number[][];
  }

  return async (query, matches) => {
    if (matches.length < 2) return matches;
    const texts = matches.map((m) => `${m.name.replace(/_/g, " ")}: ${m.description}`);
    const keys = matches.map((m, i) => `${options.model}\u0000${m.name}\u0000${texts[i]}`);
    const missing = keys.map((key, i) => (cache.has(key) ? -1 : i)).filter((i) => i >= 0);
    let queryVector: number[];
    try {
      const vectors = await embed([query, ...missing.map((i) => texts[i]!)]);
      queryVector = vectors[0]!;
      missing.forEach((i, j) => {
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
        cache.set(keys[i]!, vectors[j + 1]!);
      });
      failing = false;
    } catch (error) {
      if (!failing) {
        (options.diagnostics ?? processDiagnostics).warn(
          "tools",
          `EMBED_MODEL ${options.model} at ${options.ollamaHost} could not embed (${errorMessage(error)}); tools are ranked by BM25 alone until it answers (ollama pull ${options.model})`,
        );
      }
      failing = true;
      return matches;
    }
    const top = matches[0]!.score || 1;
    return matches
      .map((match, i) => ({ ...match, score: 0.5 * (match.score / top) + 0.5 * cosine(queryVector, cache.get(keys[i]!) ?? []) }))
      .sort((a, b) => b.score - a.score);
  };
}
