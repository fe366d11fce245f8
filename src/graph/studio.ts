/**
 * LangGraph Studio's entry (langgraph.json: "./src/graph/studio.ts:graph"). The JS dev server
 * imports this module in its main process and restarts it on any source change, and brings its
 * own persistence. So: importing opens nothing; the first request builds the runtime and the graph
 * (without our checkpointer) once, and later requests reuse it. Per-run settings come from the
 * assistant's configuration (the graph's configuration schema), read by the nodes on every run.
 * A build that fails (store or sandbox unavailable) is reported on that request and retried on
 * the next one.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ToolForgeGraph } from "./build.js";
import { createToolForge, type ToolForge } from "./create.js";

let building: Promise<ToolForge> | null = null;

export async function graph(_config?: LangGraphRunnableConfig): Promise<ToolForgeGraph> {
  building ??= createToolForge({ checkpointer: false }).catch((error: unknown) => {
    building = null;
    throw error;
  });
  return (await building).graph;
}
