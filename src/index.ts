/**
 * The package entry: `import { createToolForge } from "toolforge"`. Importing it has no side
 * effects: nothing is opened or read until createToolForge (or createGraph) is called.
 *
 * ONE way to build the agent: `createToolForge(options?)` → `{ graph, runtime, close }`. Every part
 * its options accept has its type exported here. `createGraph(options?)` gives the graph alone, for
 * hosts that keep it for the life of their process (LangGraph Studio and the like): what it opens is
 * never closed, so anything else should use createToolForge.
 */
export {
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
// The types of the parts createToolForge's options accept (and its `runtime` holds).
export type { Runtime, RuntimeOverrides } from "./runtime.js";
export type { Config, PersonaName } from "./config.js";
export type { Store } from "./store/types.js";
export type { Sandbox, SandboxJob, JobResult, RunnerReport } from "./sandbox/types.js";
export type { EventBus, ToolForgeEvent, PublishedEvent } from "./events.js";
export type { ToolRegistry, ToolCallOptions, ToolCallOutcome } from "./tools/types.js";
export type { BuiltinTool } from "./tools/registry.js";
export type { Forge } from "./forge/types.js";
export type { ForgeModelSource } from "./forge/prompt.js";

export { loadConfig } from "./config.js";
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
/** Living objects on a ToolForge's runtime: `createObjectSpace((await createToolForge()).runtime)`. */
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
export type { ChatService } from "./server/chat/types.js";
export {
  ToolForgeError,
  ConfigError,
  ModelUnavailableError,
  OllamaUnreachableError,
  ModelMissingError,
  ModelWithoutToolsError,
  OllamaServerError,
  ModelReplyError,
  SandboxUnavailableError,
  SandboxBusyError,
  StoreUnavailableError,
  InvalidInputError,
  NotFoundError,
} from "./errors.js";
