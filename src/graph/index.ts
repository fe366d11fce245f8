/** The agent graph: state, nodes, routing, createGraph(). */
export type { ToolForgeGraph } from "./build.js";
export { createGraph, createToolForge, type CreateGraphOptions, type ToolForge } from "./create.js";
export type { GraphDeps } from "./deps.js";
export type { GraphStreamEvent } from "./events.js";
export type { PersonaChatModels } from "./models.js";
export type { RunSettings, RunSettingsInput } from "./settings.js";
export type { ForgeOutcomeSummary, GraphState, GraphUpdate } from "./state.js";
export { FORGE_NOTE_NAME } from "./conversation.js";
