/**
 * The chat models the graph's nodes talk to: one ChatOllama per (persona, model tag, context
 * window, think, reply budget), built on first use, unless the caller supplied a chat model for
 * that persona. Each asks Ollama for an explicit `num_ctx`: NUM_CTX, at most the model's maximum
 * (from /api/show, kept in `facts`, which the forge shares) — one window per model whoever calls
 * it, so switching between personas and the forge never reloads the model.
 *
 * Tools are bound by name: the same names (in the same order) give the same definitions, loaded
 * once per registry revision, so every persona that shares BRICK's model sends BRICK's tool
 * definitions byte for byte and Ollama's prompt cache serves them.
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
import type { ThinkParam } from "../personas/thinking.js";
import { estimateToolTokens } from "./context-budget.js";

export type PersonaChatModels = Partial<Record<PersonaName, BaseChatModel>>;
export type ToolBoundModel = Runnable<BaseLanguageModelInput, AIMessageChunk>;

/** How one call is made: Ollama's think and num_predict (both left out when undefined). */
export interface CallOptions {
  think?: ThinkParam | undefined;
  numPredict?: number | undefined;
}

/** A set of tools loaded for binding: their names in order, and their definitions' size in tokens. */
export interface ToolSet {
  key: string;
  names: string[];
  tools: StructuredToolInterface[];
  tokens: number;
}

/** Built models and tool sets kept at most (least recently used go first). */
const MAX_CACHED = 32;

export class PersonaModels {
  private readonly built = new Map<string, BaseChatModel | ToolBoundModel>();
  private readonly toolSets = new Map<string, ToolSet>();
  /** How many times a model was bound to a tool set (for tests and diagnostics). */
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

  /** The chat model for the persona: the supplied one, else a ChatOllama for `modelName` with this window and these options. */
  model(persona: PersonaName, modelName: string, numCtx: number = this.config.numCtx, options: CallOptions = {}): BaseChatModel {
    const supplied = this.supplied[persona];
    if (supplied) return supplied;
    const key = ["model", persona, modelName, numCtx, options.think, options.numPredict].join("\u0000");
    return this.remember(key, () =>
      createPersonaModel(this.config, persona, {
        model: modelName,
        numCtx,
        ...(options.think !== undefined ? { think: options.think } : {}),
        ...(options.numPredict !== undefined ? { numPredict: options.numPredict } : {}),
      }),
    );
  }

  /** The model bound to `tools` (the plain model when the set is empty: Ollama then gets no `tools` field). */
  bound(
    persona: PersonaName,
    modelName: string,
    numCtx: number,
    tools: ToolSet,
    options: CallOptions = {},
  ): BaseChatModel | ToolBoundModel {
    const model = this.model(persona, modelName, numCtx, options);
    if (tools.tools.length === 0) return model;
    const key = ["bound", persona, modelName, numCtx, options.think, options.numPredict, tools.key].join("\u0000");
    return this.remember(key, () => {
      if (typeof model.bindTools !== "function") {
        throw new InvalidInputError(
          `the chat model given for ${persona.toUpperCase()} (${model.getName()}) cannot bind tools`,
          "supply a chat model that implements bindTools, e.g. ChatOllama",
        );
      }
      this.bindCount++;
      return model.bindTools(tools.tools) as ToolBoundModel;
    });
  }

  /** The tools of these names, in this order, loaded once per registry `revision` (names that cannot load are left out). */
  async tools(
    revision: number | string,
    names: readonly string[],
    load: (names: readonly string[]) => Promise<StructuredToolInterface[]>,
  ): Promise<ToolSet> {
    const key = `${revision}\u0000${names.join(",")}`;
    const known = this.toolSets.get(key);
    if (known) return known;
    const tools = names.length ? await load(names) : [];
    const set: ToolSet = { key, names: tools.map((t) => t.name), tools, tokens: estimateToolTokens(tools) };
    this.toolSets.set(key, set);
    if (this.toolSets.size > MAX_CACHED) this.toolSets.delete(this.toolSets.keys().next().value!);
    return set;
  }

  /**
   * The context window the persona's calls ask for, and Ollama's facts about its model (null for a
   * supplied model, or when Ollama cannot say right now: then the window is NUM_CTX as set).
   */
  async window(persona: PersonaName, modelName: string): Promise<{ numCtx: number; facts: ModelFacts | null }> {
    const facts = this.supplied[persona] ? null : await this.facts.get(modelName);
    return { numCtx: contextWindow(this.config, facts), facts };
  }

  /** Whether the caller supplied the persona's chat model. */
  isSupplied(persona: PersonaName): boolean {
    return this.supplied[persona] !== undefined;
  }

  /** The model name to report for the persona (the supplied model's own, when it has one). */
  modelName(persona: PersonaName, modelName: string): string {
    const supplied = this.supplied[persona];
    const own = supplied && "model" in supplied ? supplied.model : undefined;
    return typeof own === "string" ? own : modelName;
  }

  private remember<T extends BaseChatModel | ToolBoundModel>(key: string, make: () => T): T {
    const known = this.built.get(key);
    if (known) {
      this.built.delete(key);
      this.built.set(key, known);
      return known as T;
    }
    const made = make();
    this.built.set(key, made);
    if (this.built.size > MAX_CACHED) this.built.delete(this.built.keys().next().value!);
    return made;
  }
}

/** An empty tool set (no tools bound). */
export const NO_TOOLS: ToolSet = { key: "", names: [], tools: [], tokens: 0 };
