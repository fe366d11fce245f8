/**
 * The chat models the graph's nodes talk to: one ChatOllama per (persona, model tag, context
 * window), built on first use, unless the caller supplied a chat model for that persona. Each asks
 * Ollama for an explicit `num_ctx`: NUM_CTX, at most the model's maximum (from /api/show, kept in
 * `facts`). BRICK's model is bound to the registry's current tools; the bound model is rebuilt
 * only when the registry revision (or the model, or the window) changed.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { AIMessageChunk } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { Config, PersonaName } from "../config.js";
import { InvalidInputError } from "../errors.js";
import { contextWindow, ModelFactsCache, type ModelFacts } from "../personas/model-info.js";
import { createPersonaModel } from "../personas/model.js";
import { estimateToolTokens } from "./context-budget.js";

export type PersonaChatModels = Partial<Record<PersonaName, BaseChatModel>>;
export type ToolBoundModel = Runnable<BaseLanguageModelInput, AIMessageChunk>;

export class PersonaModels {
  private readonly built = new Map<string, BaseChatModel>();
  private bound: { key: string; model: ToolBoundModel | BaseChatModel; toolNames: string[]; toolTokens: number } | null = null;
  /** How many times BRICK's tools were bound (for tests and diagnostics). */
  bindCount = 0;
  /** What Ollama says about each model (capabilities, maximum context), asked once a minute at most. */
  readonly facts: ModelFactsCache;

  constructor(
    private readonly config: Config,
    private readonly supplied: PersonaChatModels = {},
    facts?: ModelFactsCache,
  ) {
    this.facts = facts ?? new ModelFactsCache(config.ollamaHost);
  }

  /** The chat model for the persona: the supplied one, else a ChatOllama for `modelName` asking for `numCtx`. */
  model(persona: PersonaName, modelName: string, numCtx: number = this.config.numCtx): BaseChatModel {
    const supplied = this.supplied[persona];
    if (supplied) return supplied;
    const key = `${persona}\u0000${modelName}\u0000${numCtx}`;
    let model = this.built.get(key);
    if (!model) {
      model = createPersonaModel(this.config, persona, { model: modelName, numCtx });
      this.built.set(key, model);
    }
    return model;
  }

  /**
   * The context window the persona's calls ask for, and Ollama's facts about its model (null for a
   * supplied model, or when Ollama cannot say right now: then the window is NUM_CTX as set).
   */
  async window(persona: PersonaName, modelName: string): Promise<{ numCtx: number; facts: ModelFacts | null }> {
    const facts = this.supplied[persona] ? null : await this.facts.get(modelName);
    return { numCtx: contextWindow(this.config, facts), facts };
  }

  /** The model name to report for the persona (the supplied model's own, when it has one). */
  modelName(persona: PersonaName, modelName: string): string {
    const supplied = this.supplied[persona];
    const own = supplied && "model" in supplied ? supplied.model : undefined;
    return typeof own === "string" ? own : modelName;
  }

  /**
   * BRICK's model bound to the registry's tools, reused while the registry `revision` and the model
   * stay the same (the tools are only loaded when they changed). With no tools, the plain model
   * (Ollama then gets no `tools` field at all).
   */
  async brickWithTools(
    modelName: string,
    revision: number | string,
    loadTools: () => Promise<StructuredToolInterface[]>,
    numCtx: number = this.config.numCtx,
  ): Promise<{ model: ToolBoundModel | BaseChatModel; toolNames: string[]; toolTokens: number }> {
    const key = `${modelName}\u0000${revision}\u0000${numCtx}`;
    if (this.bound?.key === key) return { model: this.bound.model, toolNames: this.bound.toolNames, toolTokens: this.bound.toolTokens };
    const model = this.model("brick", modelName, numCtx);
    const tools = await loadTools();
    let boundModel: ToolBoundModel | BaseChatModel = model;
    if (tools.length > 0) {
      if (typeof model.bindTools !== "function") {
        throw new InvalidInputError(
          `the chat model given for BRICK (${model.getName()}) cannot bind tools`,
          "supply a chat model that implements bindTools, e.g. ChatOllama",
        );
      }
      boundModel = model.bindTools(tools) as ToolBoundModel;
    }
    // The definitions sent with every call take room in the context window: the budget counts them.
    this.bound = { key, model: boundModel, toolNames: tools.map((t) => t.name), toolTokens: estimateToolTokens(tools) };
    this.bindCount++;
    return { model: boundModel, toolNames: this.bound.toolNames, toolTokens: this.bound.toolTokens };
  }
}
