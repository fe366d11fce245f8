/**
 * The `brick` node: BRICK analyses the turn with the registry's current tools bound (refreshed on
 * every call, so a tool forged a moment ago — here or in another process — is there), and the
 * guards are applied to what it answers: tool calls beyond the round cap are refused, a
 * `TOOL_REQUIRED` request beyond the forge cap is not forged. Opens a new turn (resets the per-turn
 * fields) when the conversation ends in a new user message.
 *
 * Real models drift, and BRICK takes what they mean:
 * - a tool call written as text (see personas/text-tool-calls.ts) that names a bound tool with
 *   arguments that validate becomes a real tool call; anything else stays text, with a notice;
 * - a `TOOL_REQUIRED` request cut at the length limit is never forged (the spec is incomplete);
 * - a `TOOL_REQUIRED` request for a tool whose forge failed earlier this turn (the same spec, or
 *   the same tool name) is not forged again and does not count toward the forge cap: small models
 *   often ask again despite the forge's note, so the turn goes on to the cascade with one notice
 *   saying that the tool was already tried and why it failed;
 * - a model without Ollama's `tools` capability still answers: no tools bound, forging off, and a
 *   notice that says why and which model to pull (also when Ollama refuses tools mid-run);
 * - the request is fitted to the model's context window (see context-budget.ts).
 */
import { randomUUID } from "node:crypto";
import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { ModelWithoutToolsError } from "../../errors.js";
import { requestedToolName } from "../../forge/names.js";
import { brick } from "../../personas/brick.js";
import { lacksTools } from "../../personas/model-info.js";
import { toolModelHint } from "../../personas/model.js";
import { TEAM_PROMPT } from "../../personas/team.js";
import { findTextToolCalls } from "../../personas/text-tool-calls.js";
import { normaliseSpec, parseToolRequest } from "../../personas/tool-request.js";
import { thinkParam } from "../../personas/thinking.js";
import { FIND_TOOLS } from "../../tools/find-tools.js";
import { keepBound, selectTools, turnContext } from "../../tools/selection.js";
import type { ToolRegistry } from "../../tools/types.js";
import { fitTranscript } from "../context-budget.js";
import { cueMessage, isUserMessage, splitTurns, textOf } from "../conversation.js";
import type { GraphDeps } from "../deps.js";
import { emit, emitContextFitted } from "../events.js";
import { NO_TOOLS, type ToolSet } from "../models.js";
import { resolveRunSettings, type RunSettings } from "../settings.js";
import { speak, type Spoken } from "../speak.js";
import type { ForgeOutcomeSummary, GraphState, GraphUpdate } from "../state.js";

export function brickNode(deps: GraphDeps) {
  return async function brickStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const settings = resolveRunSettings(deps.config, config);
    const turn = openTurn(state);
    const { toolRounds, forgesThisTurn } = turn;
    const notices = [...turn.notices];
    const notice = (text: string) => {
      if (notices.includes(text)) return;
      notices.push(text);
      emit(config, { type: "notice", persona: "brick", text });
    };

    const modelName = settings.models.brick;
    const shownName = deps.models.modelName("brick", modelName);
    const { numCtx, facts } = await deps.models.window("brick", modelName);
    let withoutTools = lacksTools(facts);
    const canCallTools = toolRounds < settings.maxToolRounds;
    const forgeAllowed = forgesThisTurn < settings.maxForgesPerTurn;
    const think = thinkParam(deps.config.thinking.brick, facts, isDeciding(state.messages));
    await deps.registry.refresh();
    // The right few tools for this turn (TOOL_BIND_LIMIT): find_tools, the ones it found, those
    // used or forged this turn, and the best matches for the conversation — added to the tools
    // bound earlier in the thread, which stay (and stay bound at the round cap: the guard refuses
    // calls), so that the definitions at the front of the prompt change as little as possible.
    const offered = [...(state.toolsCreated ?? []), ...(state.forgeOutcome?.name ? [state.forgeOutcome.name] : [])];
    const names = withoutTools
      ? []
      : await keepBound(
          deps.registry,
          state.boundTools ?? [],
          (await selectTools(deps.registry, turnContext(state.messages, isUserMessage, offered), deps.config.toolBindLimit)).names,
          deps.config.toolBindLimit,
        );

    const ask = async (bindTools: boolean): Promise<{ spoken: Spoken; tools: ToolSet }> => {
      const tools = bindTools
        ? await deps.models.tools(deps.registry.revision, names, (n) => deps.registry.langChainToolsFor(n))
        : NO_TOOLS;
      const situation = brickSituation({ canCallTools, canForge: forgeAllowed && bindTools, settings, withoutTools: !bindTools });
      const messages = situation ? [...state.messages, cueMessage(situation)] : state.messages;
      const fitted = fitTranscript(messages, { system: TEAM_PROMPT, toolTokens: tools.tokens, numCtx });
      emitContextFitted(config, "brick", shownName, numCtx, fitted);
      const spoken = await speak({
        persona: brick,
        planner: deps.models.bound("brick", modelName, numCtx, tools, { think: think === undefined ? undefined : false }),
        answerer: deps.models.bound("brick", modelName, numCtx, tools, { think }),
        tools,
        modelName: shownName,
        system: TEAM_PROMPT,
        messages: fitted.messages,
        metacognition: settings.metacognition,
        plan: turn.plans.brick,
        config: deps.config,
        runnable: config,
        context: { numCtx, estimatedTokens: fitted.estimatedTokens },
        bus: deps.bus,
      });
      return { spoken, tools };
    };

    let answered: { spoken: Spoken; tools: ToolSet };
    try {
      answered = await ask(!withoutTools);
    } catch (error) {
      // An Ollama that reports no capabilities refuses tools only when they are sent.
      if (!(error instanceof ModelWithoutToolsError)) throw error;
      deps.models.facts.markWithoutTools(modelName);
      withoutTools = true;
      answered = await ask(false);
    }
    if (withoutTools) notice(withoutToolsNotice(shownName));
    const { spoken, tools } = answered;
    const toolNames = tools.names;
    const canForge = forgeAllowed && !withoutTools;
    if (spoken.planError) notice(`BRICK's plan could not be used: ${spoken.planError}`);
    if (spoken.empty) notice(`BRICK gave no analysis: its model (${shownName}) answered with nothing, twice.`);

    let message = spoken.reply;
    if (message.tool_calls?.length && !canCallTools) {
      const names = message.tool_calls.map((c) => c.name).join(", ");
      const text = `BRICK asked for tools (${names}) after the cap of ${settings.maxToolRounds} tool rounds this turn; the calls were not made.`;
      notices.push(text);
      emit(config, { type: "guard", guard: "tool_rounds", limit: settings.maxToolRounds, message: text });
      message = withoutToolCalls(message, text);
    } else if (!message.tool_calls?.length && toolNames.length > 0) {
      const written = await textToolCalls(message, toolNames, deps.registry);
      if (written.message) message = written.message;
      if (written.refused.length) notice(`BRICK wrote a tool call as text that was not run: ${written.refused.join("; ")}.`);
    }

    let pendingToolSpec: string | null = null;
    const request = message.tool_calls?.length ? null : parseToolRequest(textOf(message));
    const failed = request ? failedEarlier(turn.forgeOutcomes, request.spec) : null;
    if (request && spoken.cut) {
      notice(
        `BRICK's request for a new tool was cut off at the length limit, so it was not forged (an incomplete spec): "${firstLine(request.spec)}…".`,
      );
    } else if (failed) {
      notice(alreadyFailedNotice(failed));
    } else if (request && canForge) {
      pendingToolSpec = request.spec;
    } else if (request && forgeAllowed && withoutTools) {
      // Said once by the notice on BRICK's model: forging is off.
    } else if (request) {
      const text = `BRICK asked for a new tool (${firstLine(request.spec)}) after the cap of ${settings.maxForgesPerTurn} forges this turn; it was not forged.`;
      if (!notices.includes(text)) {
        notices.push(text);
        emit(config, { type: "guard", guard: "forges", limit: settings.maxForgesPerTurn, message: text });
      }
    }

    return {
      ...turn.reset,
      messages: [message],
      pendingToolSpec,
      notices,
      boundTools: toolNames,
      usage: { turnId: turn.id, calls: spoken.usage },
      ...(spoken.plan ? { plans: { ...turn.plans, brick: spoken.plan } } : {}),
    };
  };
}

/**
 * Whether BRICK's call chooses what to do — a new question, a note from the forge, a failed tool
 * or a find_tools result to pick from — rather than reporting tool results that came back fine.
 * With BRICK_THINK=decisions, only these calls think.
 */
function isDeciding(messages: readonly BaseMessage[]): boolean {
  const results: ToolMessage[] = [];
  for (let i = messages.length - 1; i >= 0 && ToolMessage.isInstance(messages[i]!); i--) results.push(messages[i] as ToolMessage);
  if (results.length === 0) return true;
  return results.some((result) => result.status === "error" || result.name === FIND_TOOLS);
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

/** A failed forge of this turn for the same request: the same spec once normalised, or the same tool name asked for. */
function failedEarlier(outcomes: readonly ForgeOutcomeSummary[], spec: string): ForgeOutcomeSummary | null {
  const normalised = normaliseSpec(spec);
  const name = requestedToolName(spec);
  return (
    outcomes.find(
      (o) => o.status === "failed" && (normaliseSpec(o.spec) === normalised || (name !== null && requestedToolName(o.spec) === name)),
    ) ?? null
  );
}

/** BRICK asked again for a tool that failed this turn: said once, with the reason, for the team and the user. */
function alreadyFailedNotice(earlier: ForgeOutcomeSummary): string {
  const name = requestedToolName(earlier.spec);
  const tool = name ? `the tool "${name}"` : `a tool (${firstLine(earlier.spec)})`;
  return `BRICK asked again for ${tool}, which was already tried this turn and failed: ${earlier.reason ?? "no reason recorded"}. It was not forged again.`;
}

/** Why BRICK works without tools, and what gives it tools: for the team's notes and the user. */
function withoutToolsNotice(model: string): string {
  return (
    `BRICK's model "${model}" cannot call tools in Ollama (it lacks the "tools" capability), so BRICK answered without tools ` +
    `and no new tools can be forged. To use tools: ${toolModelHint("BRICK_MODEL")}.`
  );
}

interface OpenedTurn {
  /** The turn's id: its user message's. */
  id: string;
  toolRounds: number;
  forgesThisTurn: number;
  /** The forges of this turn so far. */
  forgeOutcomes: ForgeOutcomeSummary[];
  notices: string[];
  plans: GraphState["plans"];
  /** The per-turn fields to write when this call opened a new turn (empty otherwise). */
  reset: GraphUpdate;
}

const NO_USER_MESSAGE = "(no user message)";

/** A new turn starts when the latest user message is not the one the current turn started with. */
function openTurn(state: GraphState): OpenedTurn {
  const { user } = splitTurns(state.messages);
  // A conversation without a user message (e.g. a run started with no input) is one turn too.
  const userId = user?.id ?? NO_USER_MESSAGE;
  if (userId === state.turnId) {
    return {
      id: userId,
      toolRounds: state.toolRounds,
      forgesThisTurn: state.forgesThisTurn,
      forgeOutcomes: state.forgeOutcomes,
      notices: state.notices,
      plans: state.plans,
      reset: {},
    };
  }
  return {
    id: userId,
    toolRounds: 0,
    forgesThisTurn: 0,
    forgeOutcomes: [],
    notices: [],
    plans: {},
    reset: {
      turnId: userId,
      toolRounds: 0,
      forgesThisTurn: 0,
      toolsUsed: [],
      toolsCreated: [],
      forgeOutcome: null,
      forgeOutcomes: [],
      consentRequests: [],
      plans: {},
      answer: null,
      finishReason: null,
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

/**
 * The tool calls BRICK wrote as text, as a message with real tool calls (ids of our own) when at
 * least one names a bound tool with arguments that validate (unambiguous scalars coerced); the
 * others are refused, each with its reason. Thinking is never read.
 */
async function textToolCalls(
  reply: AIMessage,
  bound: string[],
  registry: ToolRegistry,
): Promise<{ message: AIMessage | null; refused: string[] }> {
  const found = findTextToolCalls(textOf(reply));
  const accepted: ToolCall[] = [];
  const refused: string[] = [];
  for (const call of found.calls) {
    if (!bound.includes(call.name)) {
      refused.push(`"${call.name}" is not a bound tool`);
      continue;
    }
    const args = structuredClone(call.args);
    const checked = await registry.checkArgs(call.name, args);
    if (!checked.ok) {
      refused.push(checked.message);
      continue;
    }
    accepted.push({ name: call.name, args, id: `call_text_${randomUUID()}`, type: "tool_call" });
  }
  if (accepted.length === 0) return { message: null, refused };
  const message = new AIMessage({
    content: found.rest,
    tool_calls: accepted,
    name: reply.name,
    additional_kwargs: reply.additional_kwargs,
    response_metadata: { ...reply.response_metadata, tool_calls_from_text: true },
    ...(reply.usage_metadata ? { usage_metadata: reply.usage_metadata } : {}),
    ...(reply.id ? { id: reply.id } : {}),
  });
  return { message, refused };
}

interface SituationInput {
  canCallTools: boolean;
  canForge: boolean;
  settings: Pick<RunSettings, "maxToolRounds" | "maxForgesPerTurn">;
  /** BRICK's model cannot call tools here. */
  withoutTools: boolean;
}

/**
 * What BRICK must know about this call beyond its part in the team (personas/team.ts): a guard
 * that was reached, forging switched off, a model that cannot call tools. Sent as a cue after the
 * conversation, so that the team's prompt stays the same on every call; null when all is as usual.
 */
function brickSituation(input: SituationInput): string | null {
  if (input.withoutTools) {
    return (
      "BRICK: your model cannot call tools here: no tools are bound and no new tools can be made, so do not write TOOL_REQUIRED. " +
      "Answer with your own analysis, and say plainly what could not be computed exactly."
    );
  }
  const parts: string[] = [];
  if (!input.canCallTools) {
    parts.push(
      `BRICK: you have used all ${input.settings.maxToolRounds} tool rounds allowed this turn: do not call tools now.`,
      "Finish your analysis with the results you have, and say what is missing.",
    );
  }
  if (!input.canForge) {
    parts.push(
      input.settings.maxForgesPerTurn === 0
        ? "Forging new tools is switched off for this run: do not write TOOL_REQUIRED; answer without the tool."
        : `The limit of ${input.settings.maxForgesPerTurn} new tools this turn is reached: do not write TOOL_REQUIRED again; answer with what you have and say what could not be done.`,
    );
  }
  if (parts.length === 0) return null;
  return parts[0]!.startsWith("BRICK") ? parts.join(" ") : `BRICK: ${parts.join(" ")}`;
}
