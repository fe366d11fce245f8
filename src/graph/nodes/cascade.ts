/**
 * The `robin`, `babs` and `alfred` nodes: each persona gets the word with a cue (personas/team.ts)
 * appended to the team's transcript — the conversation, BRICK's analysis and tool results, the
 * forge's notes, the cues and notes of the personas before it — fitted to its model's window, and
 * adds the cue and its message to the conversation. A persona on BRICK's model sends BRICK's tool
 * definitions too, so that its request is BRICK's last one plus what was added since and Ollama's
 * prompt cache serves the rest; it is told not to call them, and a call it makes anyway is not run.
 * ROBIN's and BABS's notes are bounded (NOTE_MAX_TOKENS); a note cut there is kept and marked.
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
import { cueText, TEAM_PROMPT } from "../../personas/team.js";
import { thinkParam } from "../../personas/thinking.js";
import { fitTranscript } from "../context-budget.js";
import { cueMessage, isCue, spokenText, splitTurns, textOf, withToolsAsText } from "../conversation.js";
import type { GraphDeps } from "../deps.js";
import { emit, emitContextFitted } from "../events.js";
import { NO_TOOLS } from "../models.js";
import { resolveRunSettings } from "../settings.js";
import { speak, type Spoken } from "../speak.js";
import type { GraphState, GraphUpdate } from "../state.js";

export function cascadeNode(deps: GraphDeps, name: Exclude<PersonaName, "brick">) {
  const persona = PERSONAS[name];
  return async function cascadeStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const settings = resolveRunSettings(deps.config, config);
    const modelName = settings.models[name];
    const shownName = deps.models.modelName(name, modelName);
    const { numCtx, facts } = await deps.models.window(name, modelName);
    // Sharing BRICK's model means sharing its prompt cache: send what BRICK sent, tools included.
    const sharesBrick = modelName === settings.models.brick && !deps.models.isSupplied(name) && !deps.models.isSupplied("brick");
    const tools =
      sharesBrick && state.boundTools.length
        ? await deps.models.tools(deps.registry.revision, state.boundTools, (n) => deps.registry.langChainToolsFor(n))
        : NO_TOOLS;
    const think = thinkParam(deps.config.thinking[name], facts);
    const options = { think, numPredict: name === "alfred" ? undefined : deps.config.noteMaxTokens };
    const cue = cueMessage(cueText(persona, untold(state.messages, state.notices)));
    const fitted = fitTranscript([...state.messages, cue], { system: TEAM_PROMPT, toolTokens: tools.tokens, numCtx });
    emitContextFitted(config, name, shownName, numCtx, fitted);
    const say = (withTools: boolean): Promise<Spoken> =>
      speak({
        persona,
        planner: deps.models.bound(name, modelName, numCtx, withTools ? tools : NO_TOOLS, {
          ...options,
          think: think === undefined ? undefined : false,
        }),
        answerer: deps.models.bound(name, modelName, numCtx, withTools ? tools : NO_TOOLS, options),
        tools: withTools ? tools : NO_TOOLS,
        modelName: shownName,
        system: TEAM_PROMPT,
        messages: sharesBrick ? fitted.messages : withToolsAsText(fitted.messages),
        metacognition: settings.metacognition,
        config: deps.config,
        runnable: config,
        context: { numCtx, estimatedTokens: fitted.estimatedTokens },
        bus: deps.bus,
      });
    let spoken = await say(true);
    const usage = [...spoken.usage];
    if (spoken.reply.tool_calls?.length) {
      // Told not to call tools, it did: its words stand; with none, it is asked once more without tools.
      const words = spokenText(spoken.reply);
      if (words) spoken = { ...spoken, reply: withoutCalls(spoken.reply) };
      else {
        spoken = await say(false);
        usage.push(...spoken.usage);
      }
    }
    const notices = [...state.notices];
    const notice = (text: string) => {
      notices.push(text);
      emit(config, { type: "notice", persona: name, text });
    };
    if (spoken.planError) notices.push(`${persona.title}'s plan could not be used: ${spoken.planError}`);
    const plans = spoken.plan ? { plans: { ...state.plans, [name]: spoken.plan } } : {};

    if (name !== "alfred") {
      if (spoken.empty) notice(`${persona.title} added nothing: its model (${shownName}) answered with nothing, twice.`);
      const reply = spoken.cut ? markCut(spoken.reply, deps.config.noteMaxTokens) : spoken.reply;
      return { messages: [cue, reply], ...plans, notices, usage: { turnId: state.turnId, calls: usage } };
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
    return {
      messages: [cue, reply],
      ...plans,
      notices,
      answer,
      finishReason: spoken.cut ? "length" : "stop",
      usage: { turnId: state.turnId, calls: usage },
    };
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

/** The notices of this turn that no cue has told yet (a cue tells those that came before it). */
function untold(messages: readonly BaseMessage[], notices: readonly string[]): string[] {
  const told = splitTurns(messages)
    .current.filter(isCue)
    .map((m) => textOf(m))
    .join("\n");
  return notices.filter((n) => !told.includes(n));
}

function withoutCalls(reply: AIMessage): AIMessage {
  return new AIMessage({
    content: spokenText(reply),
    name: reply.name,
    response_metadata: reply.response_metadata,
    ...(reply.id ? { id: reply.id } : {}),
  });
}

/** A note cut at the note budget, marked so that the personas after it know it is incomplete. */
function markCut(reply: AIMessage, budget: number): AIMessage {
  return new AIMessage({
    content: `${spokenText(reply)} … [cut at the note limit of ${budget} tokens]`,
    name: reply.name,
    response_metadata: reply.response_metadata,
    ...(reply.id ? { id: reply.id } : {}),
  });
}
