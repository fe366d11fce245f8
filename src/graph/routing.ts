/** Where the turn goes after BRICK: tool calls → tools, a tool request → tool_forge, else the cascade. */
import { AIMessage } from "@langchain/core/messages";
import type { GraphState } from "./state.js";

export const NODES = {
  brick: "brick",
  tools: "tools",
  toolForge: "tool_forge",
  robin: "robin",
  babs: "babs",
  alfred: "alfred",
} as const;

export type AfterBrick = typeof NODES.tools | typeof NODES.toolForge | typeof NODES.robin;

export function routeAfterBrick(state: GraphState): AfterBrick {
  const last = state.messages.at(-1);
  if (last && AIMessage.isInstance(last) && (last.tool_calls?.length ?? 0) > 0) return NODES.tools;
  if (state.pendingToolSpec) return NODES.toolForge;
  return NODES.robin;
}
