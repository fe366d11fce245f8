/** What the graph's nodes are built from: every part passed in, so tests and embedders can swap any. */
import type { Config } from "../config.js";
import type { EventBus } from "../events.js";
import type { Forge } from "../forge/types.js";
import type { Store } from "../store/types.js";
import type { ToolRegistry } from "../tools/types.js";
import type { PersonaModels } from "./models.js";

export interface GraphDeps {
  config: Config;
  registry: ToolRegistry;
  forge: Forge;
  /** The bus the forge publishes to: its events for this graph's forge runs are streamed. */
  bus: EventBus | undefined;
  models: PersonaModels;
  /** Where a person's answer to a tool's request for a host is recorded (a resumed run). */
  store: Store;
}
