/**
 * One classification of a model call's failure (personas/model.ts explainModelError), used by the
 * personas, the forge and the HTTP faces alike: what ChatOllama throws is told apart the same way
 * wherever it surfaces.
 */
import { describe, expect, it } from "vitest";
import { ModelMissingError, ModelReplyError, ModelWithoutToolsError, OllamaUnreachableError } from "../../src/errors.js";
import { explainModelError } from "../../src/personas/model.js";
import { toHttpError } from "../../src/server/errors.js";

const host = "http://127.0.0.1:11434";
const refused = (port: number) =>
  new TypeError("fetch failed", {
    cause: Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: "ECONNREFUSED", port }),
  });

describe("a model call's failure", () => {
  it("is Ollama unreachable when the connection to Ollama's port was refused, and not when another host's was", () => {
    expect(explainModelError(refused(11434), { host, persona: "robin", model: "qwen3:8b" })).toBeInstanceOf(OllamaUnreachableError);
    const other = refused(5432);
    expect(explainModelError(other, { host })).toBe(other);
  });

  it("is a missing model, a model without tools, or a reply cut off, each with what to do", () => {
    const missing = explainModelError(new Error('model "qwen3:8b" not found, try pulling it first'), { host }) as ModelMissingError;
    expect(missing).toBeInstanceOf(ModelMissingError);
    expect(missing.hint).toContain("ollama pull qwen3:8b");
    expect(
      explainModelError(new Error("registry.ollama.ai/library/phi3 does not support tools"), { host, persona: "brick" }),
    ).toBeInstanceOf(ModelWithoutToolsError);
    expect(explainModelError(new TypeError("terminated", { cause: new Error("other side closed") }), { host })).toBeInstanceOf(
      ModelReplyError,
    );
  });

  it("is answered by the HTTP faces as the personas classify it", () => {
    expect(toHttpError(refused(11434), { ollamaHost: host })).toMatchObject({ status: 503, code: "ollama_unreachable" });
    expect(toHttpError(new Error('model "x:1b" not found, try pulling it first'), { ollamaHost: host })).toMatchObject({
      status: 503,
      code: "model_missing",
    });
    expect(toHttpError(new TypeError("terminated"), { ollamaHost: host })).toMatchObject({ status: 502, code: "model_stream_interrupted" });
    expect(toHttpError(refused(5432), { ollamaHost: host })).toBeNull();
  });
});
