/**
 * One classification of a model call's failure (personas/model.ts explainModelError), used by the
 * personas, the forge and the HTTP faces alike: what ChatOllama throws is told apart the same way
 * wherever it surfaces.
 */
import { describe, expect, it } from "vitest";
import { HumanMessage } from "@langchain/core/messages";
import { loadConfig } from "../../src/config.js";
import { ModelMissingError, ModelReplyError, ModelWithoutToolsError, OllamaServerError, OllamaUnreachableError } from "../../src/errors.js";
import { createPersonaModel, explainModelError } from "../../src/personas/model.js";
import { toHttpError } from "../../src/server/errors.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";

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

describe("Ollama answering a chat request with HTTP 500", () => {
  const OUT_OF_MEMORY = "model requires more system memory (10.2 GiB) than is available (5.1 GiB)";

  /** What the real ChatOllama throws when the scripted Ollama answers 500 with `error`. */
  async function failedCall(error: string): Promise<{ thrown: unknown; url: string }> {
    const ollama = await ScriptedOllama.start({ respond: () => ({ httpError: { status: 500, error } }) });
    try {
      const config = loadConfig({ OLLAMA_HOST: ollama.url, BRICK_MODEL: "big:70b" });
      const thrown = await createPersonaModel(config, "brick")
        .invoke([new HumanMessage("hello")])
        .then(
          () => null,
          (e: unknown) => e,
        );
      return { thrown, url: ollama.url };
    } finally {
      await ollama.close();
    }
  }

  it("is Ollama's server error, with its status, its error text and where to look", async () => {
    const { thrown, url } = await failedCall(OUT_OF_MEMORY);
    const explained = explainModelError(thrown, { host: url, persona: "brick", model: "big:70b" });
    expect(explained).toBeInstanceOf(OllamaServerError);
    const error = explained as OllamaServerError;
    expect(error.status).toBe(500);
    expect(error.message).toContain(`Ollama at ${url} answered 500 Internal Server Error for model "big:70b" (BRICK): ${OUT_OF_MEMORY}`);
    expect(error.hint).toContain("ollama ps");
    expect(error.hint).toContain("Ollama's log");
  });

  it("is not a stream cut off when its text names the runner: no stream had started", async () => {
    const { thrown, url } = await failedCall("llama runner process has terminated: signal: killed");
    const explained = explainModelError(thrown, { host: url, persona: "robin", model: "big:70b" });
    expect(explained).toBeInstanceOf(OllamaServerError);
    expect((explained as Error).message).toContain("answered 500 Internal Server Error");
    expect((explained as Error).message).toContain("llama runner process has terminated");
  });

  it("is answered by the HTTP faces as a bad gateway with Ollama's text, not as an unexpected error", async () => {
    const { thrown, url } = await failedCall(OUT_OF_MEMORY);
    const http = toHttpError(thrown, { ollamaHost: url });
    expect(http).toMatchObject({ status: 502, code: "ollama_server_error" });
    expect(http!.message).toContain(OUT_OF_MEMORY);
    expect(http!.hint).toContain("ollama ps");
  });
});
