/** Errors of the graph itself (as opposed to the model, store, sandbox or forge it drives). */
import { ToolForgeError } from "../errors.js";

/** The graph reached a state its routing should have made impossible: a bug, reported as such. */
export class GraphRoutingError extends ToolForgeError {
  constructor(message: string) {
    super("graph_routing", message, { hint: "this is a bug in ToolForge's graph; please report it with the thread's state" });
  }
}
