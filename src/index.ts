/**
 * The package entry: `import { createGraph } from "toolforge"`. Importing it has no side effects:
 * nothing is opened or read until createGraph / createToolForge is called.
 */
export {
  closeGraph,
  createGraph,
  createToolForge,
  type CreateGraphOptions,
  type ToolForge,
  type ToolForgeGraph,
  type GraphState,
  type GraphStreamEvent,
  type ForgeOutcomeSummary,
  type RunSettingsInput,
  type PersonaChatModels,
} from "./graph/index.js";
export {
  assertPersonaModels,
  checkPersonaModels,
  requirePersonaModels,
  PERSONAS,
  PERSONA_ORDER,
  type PersonaModelReport,
  type PersonaModelCheck,
  type OllamaStatus,
} from "./personas/index.js";
export { loadConfig, type Config, type PersonaName } from "./config.js";
export { createRuntime, type Runtime, type RuntimeOverrides } from "./runtime.js";
export {
  createObjectSpace,
  NoSuchObjectError,
  MethodNotLearnedError,
  MethodFailedError,
  ObjectContendedError,
  type ObjectSpace,
  type ObjectFace,
  type SendOutcome,
} from "./objects/index.js";
export { startServer, type RunningServer, type StartOptions } from "./server/index.js";
export {
  ToolForgeError,
  ConfigError,
  ModelUnavailableError,
  SandboxUnavailableError,
  StoreUnavailableError,
  InvalidInputError,
  NotFoundError,
} from "./errors.js";
export type { ToolForgeEvent, PublishedEvent } from "./events.js";
