/** The agent graph: state, nodes, routing, createGraph(). */
export { buildGraph, RECURSION_LIMIT, type ToolForgeGraph } from "./build.js";
export { closeGraph, createGraph, createToolForge, type CreateGraphOptions, type ToolForge } from "./create.js";
export type { GraphDeps } from "./deps.js";
export type { GraphStreamEvent } from "./events.js";
export { GraphRoutingError } from "./errors.js";
export { PersonaModels, type PersonaChatModels } from "./models.js";
export { NODES } from "./routing.js";
export { resolveRunSettings, RunSettingsSchema, type RunSettings, type RunSettingsInput } from "./settings.js";
export { GraphInputSchema, GraphStateSchema, type ForgeOutcomeSummary, type GraphState, type GraphUpdate } from "./state.js";
export { FORGE_NOTE_NAME } from "./conversation.js";
