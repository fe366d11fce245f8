/** The four personas: role prompts, models, the ChatOllama factory, the capability check, metacognition. */
export type { PersonaDefinition } from "./types.js";
export { brick, parseToolRequest, TOOL_REQUIRED_MARKER, type ToolRequest } from "./brick.js";
export { robin } from "./robin.js";
export { babs } from "./babs.js";
export { alfred } from "./alfred.js";
export { PERSONAS, PERSONA_ORDER } from "./registry.js";
export {
  createPersonaModel,
  explainModelError,
  personaModelName,
  pullHint,
  startOllamaHint,
  toolModelHint,
  type PersonaModelOptions,
} from "./model.js";
export { contextWindow, lacksTools, ModelFactsCache, showModel, type ModelFacts, type ShowResult } from "./model-info.js";
export { findTextToolCalls, type FoundToolCalls, type TextToolCall } from "./text-tool-calls.js";
export { normaliseSpec, stripToolRequiredMarker } from "./tool-request.js";
export {
  assertPersonaModels,
  checkPersonaModels,
  describeProblems,
  requirePersonaModels,
  type CheckOptions,
  type ModelUser,
  type OllamaStatus,
  type PersonaModelCheck,
  type PersonaModelReport,
} from "./capabilities.js";
export { PLAN_JSON_SCHEMA, PLAN_TAG, parsePlan, planInstruction, requestPlan, type Plan, type PlanResult } from "./metacognition.js";
