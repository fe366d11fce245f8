/**
 * The `tools` node: runs every tool call of BRICK's last message through the live registry
 * (`registry.call`: looked up at call time, so a tool forged this turn is found) and answers each
 * with a ToolMessage carrying the call's id. A failure becomes a tool message that says what
 * happened; the model decides what to do next.
 *
 * A tool that reaches the world runs only once a person granted its hosts. Before any call runs,
 * the node asks for what is missing: with `consent: "ask"` it interrupts the run (LangGraph's
 * `interrupt()`, payload ConsentInterrupt) and records the person's answer when the run is
 * resumed (`Command({ resume: ConsentAnswer })`) — nothing ran before the interrupt, so running
 * the node again from its start on resume repeats nothing. With `consent: "explain"` (faces whose
 * clients cannot answer an interrupt) the call is not made: its tool message, a notice and a
 * `consent.requested` event say what is asked and how to grant it.
 */
import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { consentMessage, type ConsentRequest } from "../../tools/consent.js";
import { answerGrants } from "../../tools/grants.js";
import type { ToolCallOutcome, ToolRegistry } from "../../tools/types.js";
import { previewValue } from "../../util/text.js";
import type { GraphDeps } from "../deps.js";
import { emit } from "../events.js";
import { resolveRunSettings } from "../settings.js";
import type { GraphState, GraphUpdate } from "../state.js";

/** What the run is interrupted with when tools ask a person for hosts (`__interrupt__[0].value`). */
export interface ConsentInterrupt {
  type: "consent";
  /** One entry per tool: what it asks (`missing` hosts; `denied` ones a person refused before). */
  requests: ConsentRequest[];
  /** How to answer: resume the run with a ConsentAnswer. */
  answer: string;
}

/**
 * A person's answer, given as `Command({ resume })`: one decision for every tool asking, or one
 * per tool by name. "grant": this version and later ones; "grant_version": this version only.
 */
export type ConsentDecision = "grant" | "grant_version" | "deny";
export type ConsentAnswer = { decision: ConsentDecision } | { decisions: Record<string, ConsentDecision> };

export function toolsNode(deps: Pick<GraphDeps, "registry" | "config" | "store" | "bus">) {
  return async function toolsStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const settings = resolveRunSettings(deps.config, config);
    const last = lastAiMessage(state.messages);
    const calls = last?.tool_calls ?? [];
    let asking = await consentRequests(deps.registry, calls);
    if (asking.length > 0 && settings.consent === "ask") {
      const answer = interrupt<ConsentInterrupt, ConsentAnswer>({
        type: "consent",
        requests: asking,
        answer: 'resume with Command({ resume: { decision: "grant" | "grant_version" | "deny" } }), or { decisions: { <tool>: … } }',
      });
      await recordAnswer(deps, asking, answer);
      asking = await consentRequests(deps.registry, calls);
    }
    const notices = [...state.notices];
    for (const request of asking) {
      emit(config, { type: "consent.requested", request });
      const text = consentMessage(request);
      if (!notices.includes(text)) notices.push(text);
    }
    const refused = new Map(asking.map((request) => [request.tool, request]));

    const results: ToolMessage[] = [];
    for (const [index, call] of calls.entries()) {
      const toolCallId = call.id ?? `call_${state.toolRounds}_${index}`;
      emit(config, { type: "tool.calling", name: call.name, args: call.args, toolCallId });
      const asked = refused.get(call.name);
      const outcome: ToolCallOutcome = asked
        ? {
            ok: false,
            kind: "not_granted",
            error: `${consentMessage(asked)} Do not call it again this turn: tell the user what it needs.`,
            durationMs: 0,
            consent: asked,
          }
        : await callTool(deps.registry, call, config.signal);
      emit(config, {
        type: "tool.result",
        name: call.name,
        toolCallId,
        ok: outcome.ok,
        durationMs: outcome.durationMs,
        result: outcome.ok ? previewValue(outcome.result) : null,
        error: outcome.ok ? null : outcome.error,
      });
      results.push(toolMessage(call, toolCallId, outcome));
    }
    const used = [...state.toolsUsed];
    for (const call of calls) if (!used.includes(call.name)) used.push(call.name);
    const requestsThisTurn = [...state.consentRequests, ...asking.filter((r) => !state.consentRequests.some((s) => s.tool === r.tool))];
    return { messages: results, toolRounds: state.toolRounds + 1, toolsUsed: used, notices, consentRequests: requestsThisTurn };
  };
}

/** What the called tools still ask a person for, one request per tool. */
async function consentRequests(registry: ToolRegistry, calls: readonly ToolCall[]): Promise<ConsentRequest[]> {
  const out: ConsentRequest[] = [];
  for (const name of new Set(calls.map((c) => c.name))) {
    const request = await registry.consentRequest(name).catch(() => null);
    if (request) out.push(request);
  }
  return out;
}

/** Records a person's answer (the resume value) for each tool that asked. */
async function recordAnswer(deps: Pick<GraphDeps, "store" | "bus">, asking: ConsentRequest[], answer: ConsentAnswer): Promise<void> {
  for (const request of asking) {
    const decision = "decisions" in answer ? answer.decisions[request.tool] : answer.decision;
    if (decision === undefined) continue;
    await answerGrants(deps, request.tool, {
      decision: decision === "deny" ? "deny" : "grant",
      scope: decision === "grant_version" ? "version" : "tool",
      hosts: [...request.missing, ...request.denied],
    });
  }
}

/** `registry.call` never throws by contract; if it does anyway, the model is told what broke. */
async function callTool(registry: ToolRegistry, call: ToolCall, signal: AbortSignal | undefined): Promise<ToolCallOutcome> {
  const started = performance.now();
  try {
    // A cancelled turn (Ctrl-C, a closed stream, Stop) stops its tool call in the sandbox too.
    return await registry.call(call.name, call.args, signal ? { signal } : {});
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, kind: "sandbox", error: `the tool could not be run: ${message}`, durationMs: performance.now() - started };
  }
}

function toolMessage(call: ToolCall, toolCallId: string, outcome: ToolCallOutcome): ToolMessage {
  if (outcome.ok) {
    const content = typeof outcome.result === "string" ? outcome.result : JSON.stringify(outcome.result);
    return new ToolMessage({ content, tool_call_id: toolCallId, name: call.name, status: "success" });
  }
  return new ToolMessage({
    content: `Error (${outcome.kind}) from tool "${call.name}": ${outcome.error}`,
    tool_call_id: toolCallId,
    name: call.name,
    status: "error",
  });
}

function lastAiMessage(messages: BaseMessage[]): AIMessage | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (AIMessage.isInstance(message)) return message;
  }
  return null;
}
