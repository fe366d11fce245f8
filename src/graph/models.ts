/**
 * The chat models the graph's nodes talk to: one ChatOllama per (persona, model tag), built on
 * first use, unless the caller supplied a chat model for that persona. BRICK's model is bound to
 * the registry's current tools; the bound model is rebuilt only when the registry revision (or the
 * model) changed.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { AIMessageChunk } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { Config, PersonaName } from "../config.js";
import { InvalidInputError } from "../errors.js";
import { createPersonaModel } from "../personas/model.js";

export type PersonaChatModels = Partial<Record<PersonaName, BaseChatModel>>;
export type ToolBoundModel = Runnable<BaseLanguageModelInput, AIMessageChunk>;

export class PersonaModels {
  private readonly built = new Map<string, BaseChatModel>();
  private bound: { key: string; model: ToolBoundModel | BaseChatModel; toolNames: string[] } | null = null;
  /** How many times BRICK's tools were bound (for tests and diagnostics). */
  bindCount = 0;

  constructor(
    private readonly config: Config,
    private readonly supplied: PersonaChatModels = {},
  ) {}

  /** The chat model for the persona: the supplied one, else a ChatOllama for `modelName`. */
  model(persona: PersonaName, modelName: string): BaseChatModel {
    const supplied = this.supplied[persona];
    if (supplied) return supplied;
    const key = `${persona}\u0000${modelName}`;
    let model = this.built.get(key);
    if (!model) {
      model = createPersonaModel(this.config, persona, { model: modelName });
      this.built.set(key, model);
    }
    return model;
  }

  /** The model name to report for the persona (the supplied model's own, when it has one). */
  modelName(persona: PersonaName, modelName: string): string {
    const supplied = this.supplied[persona] as (BaseChatModel & { model?: unknown }) | undefined;
    return supplied && typeof supplied.model === "string" ? supplied.model : modelName;
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
  ): Promise<{ model: ToolBoundModel | BaseChatModel; toolNames: string[] }> {
    const key = `${modelName}\u0000${revision}`;
    if (this.bound?.key === key) return { model: this.bound.model, toolNames: this.bound.toolNames };
    const model = this.model("brick", modelName);
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
    this.bound = { key, model: boundModel, toolNames: tools.map((t) => t.name) };
    this.bindCount++;
    return { model: boundModel, toolNames: this.bound.toolNames };
  }
}
