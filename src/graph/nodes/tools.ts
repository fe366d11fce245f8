/**
 * The `tools` node: runs every tool call of BRICK's last message through the live registry
 * (`registry.call`: looked up at call time, so a tool forged this turn is found) and answers each
 * with a ToolMessage carrying the call's id. A failure becomes a tool message that says what
 * happened; the model decides what to do next.
 */
import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ToolCallOutcome, ToolRegistry } from "../../tools/types.js";
import { previewValue } from "../../util/text.js";
import type { GraphDeps } from "../deps.js";
import { emit } from "../events.js";
import type { GraphState, GraphUpdate } from "../state.js";

export function toolsNode(deps: Pick<GraphDeps, "registry">) {
  return async function toolsStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const last = lastAiMessage(state.messages);
    const calls = last?.tool_calls ?? [];
    const results: ToolMessage[] = [];
    for (const [index, call] of calls.entries()) {
      const toolCallId = call.id ?? `call_${state.toolRounds}_${index}`;
      emit(config, { type: "tool.calling", name: call.name, args: call.args, toolCallId });
      const outcome = await callTool(deps.registry, call);
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
    return { messages: results, toolRounds: state.toolRounds + 1, toolsUsed: used };
  };
}

/** `registry.call` never throws by contract; if it does anyway, the model is told what broke. */
async function callTool(registry: ToolRegistry, call: ToolCall): Promise<ToolCallOutcome> {
  const started = performance.now();
  try {
    return await registry.call(call.name, call.args);
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
