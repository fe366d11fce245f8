/**
 * The `robin`, `babs` and `alfred` nodes: each persona reads the conversation (earlier turns, the
 * user's message, and the team's notes so far: BRICK's analysis and tool results, the forge's
 * notes, the personas before it), fitted to its model's context window, and adds its message.
 * ALFRED's message is the turn's answer, without its thinking. An answer is never empty: when
 * ALFRED says nothing (twice), the answer is the last persona's words with a notice saying so, or,
 * when nobody said anything, a ModelReplyError. An answer cut at the length limit is kept and
 * marked (`finishReason: "length"`).
 */
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PersonaName } from "../../config.js";
import { ModelReplyError } from "../../errors.js";
import { PERSONAS } from "../../personas/registry.js";
import { fitCascadeView } from "../context-budget.js";
import { spokenText, splitTurns } from "../conversation.js";
import type { GraphDeps } from "../deps.js";
import { emit, emitContextFitted } from "../events.js";
import { resolveRunSettings } from "../settings.js";
import { speak } from "../speak.js";
import type { GraphState, GraphUpdate } from "../state.js";

export function cascadeNode(deps: GraphDeps, name: Exclude<PersonaName, "brick">) {
  const persona = PERSONAS[name];
  return async function cascadeStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const settings = resolveRunSettings(deps.config, config);
    const modelName = settings.models[name];
    const shownName = deps.models.modelName(name, modelName);
    const { numCtx } = await deps.models.window(name, modelName);
    const model = deps.models.model(name, modelName, numCtx);
    const fitted = fitCascadeView(state.messages, state.notices, { system: persona.role, numCtx });
    emitContextFitted(config, name, shownName, numCtx, fitted);
    const spoken = await speak({
      persona,
      model,
      answerer: model,
      modelName: shownName,
      system: persona.role,
      messages: fitted.messages,
      metacognition: settings.metacognition,
      config: deps.config,
      runnable: config,
      context: { numCtx, estimatedTokens: fitted.estimatedTokens },
      bus: deps.bus,
    });
    const notices = [...state.notices];
    const notice = (text: string) => {
      notices.push(text);
      emit(config, { type: "notice", persona: name, text });
    };
    if (spoken.planError) notices.push(`${persona.title}'s plan could not be used: ${spoken.planError}`);
    const plans = spoken.plan ? { plans: { ...state.plans, [name]: spoken.plan } } : {};

    if (name !== "alfred") {
      if (spoken.empty) notice(`${persona.title} added nothing: its model (${shownName}) answered with nothing, twice.`);
      return { messages: [spoken.reply], ...plans, notices };
    }

    let reply = spoken.reply;
    let answer = spokenText(reply);
    if (spoken.empty) {
      const fallback = lastWords(state.messages);
      if (!fallback) {
        throw new ModelReplyError(
          "empty",
          `ALFRED's model (${shownName}) gave no answer, twice, and no other persona said anything this turn to fall back on`,
          `ask again; if it keeps happening, try the model on its own (\`ollama run ${shownName}\`) or choose another ALFRED_MODEL`,
        );
      }
      answer = `(ALFRED gave no answer, so these are ${fallback.title}'s notes for the team.)\n\n${fallback.text}`;
      notice(`ALFRED's model (${shownName}) gave no answer, twice; the answer is ${fallback.title}'s notes instead.`);
      reply = new AIMessage({ content: answer, name, response_metadata: reply.response_metadata });
    }
    if (spoken.cut) notice(`ALFRED's answer was cut off at the length limit of its model (${shownName}).`);
    return { messages: [reply], ...plans, notices, answer, finishReason: spoken.cut ? "length" : "stop" };
  };
}

/** The words of the last persona who said something this turn (BABS, else ROBIN, else BRICK). */
function lastWords(messages: BaseMessage[]): { title: string; text: string } | null {
  const { current } = splitTurns(messages);
  for (const message of [...current].reverse()) {
    if (!AIMessage.isInstance(message) || !message.name || !(message.name in PERSONAS)) continue;
    const text = spokenText(message);
    if (text) return { title: PERSONAS[message.name as PersonaName].title, text };
  }
  return null;
}
