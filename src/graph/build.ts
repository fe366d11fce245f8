/**
 * The graph's topology: START → brick; brick → tools → brick (tool calls), brick → tool_forge →
 * brick (a tool request), brick → robin → babs → alfred → END (an analysis). Compiled with the
 * given checkpointer (or none) and a recursion limit that the largest allowed caps fit under, so the
 * caps — not LangGraph's limit — end a turn that keeps asking for tools.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { END, START, StateGraph } from "@langchain/langgraph";
import type { GraphDeps } from "./deps.js";
import { brickNode } from "./nodes/brick.js";
import { cascadeNode } from "./nodes/cascade.js";
import { toolForgeNode } from "./nodes/tool-forge.js";
import { toolsNode } from "./nodes/tools.js";
import { NODES, routeAfterBrick } from "./routing.js";
import { CAP_LIMITS, RunSettingsSchema } from "./settings.js";
import { GraphInputSchema, GraphStateSchema } from "./state.js";

/** Steps of the longest possible turn (every tool round and forge at its maximum) plus the cascade, with room to spare. */
const RECURSION_LIMIT = 2 * (CAP_LIMITS.maxToolRounds + CAP_LIMITS.maxForgesPerTurn) + 10;

export function buildGraph(deps: GraphDeps, options: { checkpointer?: BaseCheckpointSaver | undefined } = {}) {
  const graph = new StateGraph({ state: GraphStateSchema, input: GraphInputSchema, context: RunSettingsSchema })
    .addNode(NODES.brick, brickNode(deps))
    .addNode(NODES.tools, toolsNode(deps))
    .addNode(NODES.toolForge, toolForgeNode(deps))
    .addNode(NODES.robin, cascadeNode(deps, "robin"))
    .addNode(NODES.babs, cascadeNode(deps, "babs"))
    .addNode(NODES.alfred, cascadeNode(deps, "alfred"))
    .addEdge(START, NODES.brick)
    .addConditionalEdges(NODES.brick, routeAfterBrick, [NODES.tools, NODES.toolForge, NODES.robin])
    .addEdge(NODES.tools, NODES.brick)
    .addEdge(NODES.toolForge, NODES.brick)
    .addEdge(NODES.robin, NODES.babs)
    .addEdge(NODES.babs, NODES.alfred)
    .addEdge(NODES.alfred, END);
  return graph
    .compile({ ...(options.checkpointer ? { checkpointer: options.checkpointer } : {}), name: "toolforge" })
    .withConfig({ recursionLimit: RECURSION_LIMIT });
}

export type ToolForgeGraph = ReturnType<typeof buildGraph>;
