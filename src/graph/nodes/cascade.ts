/**
 * The `robin`, `babs` and `alfred` nodes: each persona reads the conversation (earlier turns, the
 * user's message, and the team's notes so far: BRICK's analysis and tool results, the forge's
 * notes, the personas before it) and adds its message. ALFRED's message is the turn's answer.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PersonaName } from "../../config.js";
import { PERSONAS } from "../../personas/registry.js";
import { cascadeView, textOf } from "../conversation.js";
import type { GraphDeps } from "../deps.js";
import { resolveRunSettings } from "../settings.js";
import { speak } from "../speak.js";
import type { GraphState, GraphUpdate } from "../state.js";

export function cascadeNode(deps: GraphDeps, name: Exclude<PersonaName, "brick">) {
  const persona = PERSONAS[name];
  return async function cascadeStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const settings = resolveRunSettings(deps.config, config);
    const modelName = settings.models[name];
    const model = deps.models.model(name, modelName);
    const { reply, plan, planError } = await speak({
      persona,
      model,
      answerer: model,
      modelName: deps.models.modelName(name, modelName),
      system: persona.role,
      messages: cascadeView(state.messages, state.notices),
      metacognition: settings.metacognition,
      config: deps.config,
      runnable: config,
    });
    return {
      messages: [reply],
      ...(plan ? { plans: { ...state.plans, [name]: plan } } : {}),
      ...(planError ? { notices: [...state.notices, `${persona.title}'s plan could not be used: ${planError}`] } : {}),
      ...(name === "alfred" ? { answer: textOf(reply) } : {}),
    };
  };
}
