/**
 * The `brick` node: BRICK analyses the turn with the registry's current tools bound (refreshed on
 * every call, so a tool forged a moment ago — here or in another process — is there), and the
 * guards are applied to what it answers: tool calls beyond the round cap are refused, a
 * `TOOL_REQUIRED:` line beyond the forge cap is not forged. Opens a new turn (resets the per-turn
 * fields) when the conversation ends in a new user message.
 */
import { AIMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { brick, parseToolRequest } from "../../personas/brick.js";
import { selectTools, turnContext } from "../../tools/selection.js";
import { brickView, isUserMessage, splitTurns } from "../conversation.js";
import type { GraphDeps } from "../deps.js";
import { emit } from "../events.js";
import { resolveRunSettings } from "../settings.js";
import { speak } from "../speak.js";
import type { GraphState, GraphUpdate } from "../state.js";

export function brickNode(deps: GraphDeps) {
  return async function brickStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const settings = resolveRunSettings(deps.config, config);
    const turn = openTurn(state);
    const { toolRounds, forgesThisTurn } = turn;
    const notices = [...turn.notices];

    const canCallTools = toolRounds < settings.maxToolRounds;
    const canForge = forgesThisTurn < settings.maxForgesPerTurn;
    const modelName = settings.models.brick;
    const model = deps.models.model("brick", modelName);

    await deps.registry.refresh();
    const offered = [...(state.toolsCreated ?? []), ...(state.forgeOutcome?.name ? [state.forgeOutcome.name] : [])];
    const selection = canCallTools ? await selectTools(deps.registry, turnContext(state.messages, isUserMessage, offered), deps.config.toolBindLimit) : null;
    const bound = selection
      ? await deps.models.brickWithTools(modelName, `${deps.registry.revision}:${selection.key}`, () => deps.registry.langChainToolsFor(selection.names))
      : { model, toolNames: [] as string[] };

    const { reply, plan, planError } = await speak({
      persona: brick,
      model,
      answerer: bound.model,
      modelName: deps.models.modelName("brick", modelName),
      system: brickSystemPrompt({ toolNames: bound.toolNames, canCallTools, canForge, settings, toolRounds, forgesThisTurn }),
      messages: brickView(state.messages),
      metacognition: settings.metacognition,
      plan: turn.plans.brick,
      config: deps.config,
      runnable: config,
    });
    if (planError) notices.push(`BRICK's plan could not be used: ${planError}`);

    let message = reply;
    if (reply.tool_calls?.length && !canCallTools) {
      const names = reply.tool_calls.map((c) => c.name).join(", ");
      const notice = `BRICK asked for tools (${names}) after the cap of ${settings.maxToolRounds} tool rounds this turn; the calls were not made.`;
      notices.push(notice);
      emit(config, { type: "guard", guard: "tool_rounds", limit: settings.maxToolRounds, message: notice });
      message = withoutToolCalls(reply, notice);
    }

    let pendingToolSpec: string | null = null;
    const request = message.tool_calls?.length ? null : parseToolRequest(typeof message.content === "string" ? message.content : "");
    if (request && canForge) {
      pendingToolSpec = request.spec;
    } else if (request) {
      const notice = `BRICK asked for a new tool (${request.spec.split("\n")[0]}) after the cap of ${settings.maxForgesPerTurn} forges this turn; it was not forged.`;
      notices.push(notice);
      emit(config, { type: "guard", guard: "forges", limit: settings.maxForgesPerTurn, message: notice });
    }

    return {
      ...turn.reset,
      messages: [message],
      pendingToolSpec,
      notices,
      ...(plan ? { plans: { ...turn.plans, brick: plan } } : {}),
    };
  };
}

interface OpenedTurn {
  toolRounds: number;
  forgesThisTurn: number;
  notices: string[];
  plans: GraphState["plans"];
  /** The per-turn fields to write when this call opened a new turn (empty otherwise). */
  reset: GraphUpdate;
}

const NO_USER_MESSAGE = "(no user message)";

/** A new turn starts when the latest user message is not the one the current turn started with. */
export function openTurn(state: GraphState): OpenedTurn {
  const { user } = splitTurns(state.messages);
  // A conversation without a user message (e.g. a run started with no input) is one turn too.
  const userId = user?.id ?? NO_USER_MESSAGE;
  if (userId === state.turnId) {
    return { toolRounds: state.toolRounds, forgesThisTurn: state.forgesThisTurn, notices: state.notices, plans: state.plans, reset: {} };
  }
  return {
    toolRounds: 0,
    forgesThisTurn: 0,
    notices: [],
    plans: {},
    reset: {
      turnId: userId,
      toolRounds: 0,
      forgesThisTurn: 0,
      toolsUsed: [],
      toolsCreated: [],
      forgeOutcome: null,
      plans: {},
      answer: null,
    },
  };
}

function withoutToolCalls(reply: AIMessage, notice: string): AIMessage {
  const text = typeof reply.content === "string" ? reply.content : "";
  return new AIMessage({
    content: [text, `(${notice})`].filter(Boolean).join("\n\n"),
    name: reply.name,
    response_metadata: reply.response_metadata,
    ...(reply.id ? { id: reply.id } : {}),
  });
}

interface PromptInput {
  toolNames: string[];
  canCallTools: boolean;
  canForge: boolean;
  settings: { maxToolRounds: number; maxForgesPerTurn: number };
  toolRounds: number;
  forgesThisTurn: number;
}

/** BRICK's role plus the situation of this call: which tools are bound, which guards apply. */
export function brickSystemPrompt(input: PromptInput): string {
  const parts = [brick.role, ""];
  if (!input.canCallTools) {
    parts.push(
      `You have used all ${input.settings.maxToolRounds} tool rounds allowed this turn: no tools are bound now.`,
      "Finish your analysis with the results you have, and say what is missing.",
    );
  } else if (input.toolNames.length > 0) {
    parts.push(`Tools bound now: ${input.toolNames.join(", ")}.`);
    parts.push(`Tool rounds used this turn: ${input.toolRounds} of ${input.settings.maxToolRounds}.`);
  } else {
    parts.push("No tools are bound yet.");
  }
  if (!input.canForge) {
    parts.push(
      input.settings.maxForgesPerTurn === 0
        ? "Forging new tools is switched off for this run: do not write TOOL_REQUIRED; answer without the tool."
        : `The limit of ${input.settings.maxForgesPerTurn} new tools this turn is reached: do not write TOOL_REQUIRED again; answer with what you have and say what could not be done.`,
    );
  }
  return parts.join("\n");
}
