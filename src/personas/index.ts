/** The four personas: role prompts, models, the ChatOllama factory, the capability check, metacognition. */
export type { ModelUser, PersonaDefinition } from "./types.js";
export { PERSONAS, PERSONA_ORDER } from "./registry.js";
export { createPersonaModel, type PersonaModelOptions } from "./model.js";
export type { ModelFacts, ShowResult } from "./model-info.js";
export type { FoundToolCalls, TextToolCall } from "./text-tool-calls.js";
export { parseToolRequest, TOOL_REQUIRED_MARKER, type ToolRequest } from "./tool-request.js";
export {
  assertPersonaModels,
  checkPersonaModels,
  requirePersonaModels,
  type CheckOptions,
  type OllamaStatus,
  type PersonaModelCheck,
  type PersonaModelReport,
} from "./capabilities.js";
export { PLAN_JSON_SCHEMA, type Plan, type PlanResult } from "./metacognition.js";
