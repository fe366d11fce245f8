/**
 * The `tool_forge` node: hands BRICK's `TOOL_REQUIRED:` spec to the forge, streams the forge's
 * progress (its bus events for this run) as custom events, and adds a note to the conversation
 * saying that the tool now exists and can be called — or why forging failed — before BRICK runs
 * again. A forge that throws (sandbox or model unavailable) is a failed forge with that reason: the
 * turn still ends in an answer that says so.
 *
 * A request for a tool that already failed this turn never comes here: BRICK's node says so instead
 * (see brick.ts).
 */
import { HumanMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { EventBus, PublishedEvent } from "../../events.js";
import { cleanSpec } from "../../forge/names.js";
import type { ForgeOutcome } from "../../forge/types.js";
import type { ModelCallUsage } from "../../personas/usage.js";
import { FORGE_NOTE_NAME } from "../conversation.js";
import type { GraphDeps } from "../deps.js";
import { GraphRoutingError } from "../errors.js";
import { emit } from "../events.js";
import type { ForgeOutcomeSummary, GraphState, GraphUpdate } from "../state.js";

export function toolForgeNode(deps: Pick<GraphDeps, "forge" | "bus">) {
  return async function toolForgeStep(state: GraphState, config: LangGraphRunnableConfig): Promise<GraphUpdate> {
    const spec = state.pendingToolSpec;
    if (!spec) {
      // Routing only comes here with a spec; say so rather than forge nothing.
      throw new GraphRoutingError("tool_forge ran without a pending tool spec");
    }
    emit(config, { type: "forge.requested", spec });
    const forwarding = forwardForgeEvents(deps.bus, spec, (event) => emit(config, event));
    let summary: ForgeOutcomeSummary | undefined;
    let usage: ModelCallUsage[] = [];
    try {
      const outcome = await deps.forge.forgeTool({ spec, ...(config.signal ? { signal: config.signal } : {}) });
      summary = summarise(outcome, spec);
      usage = outcome.usage ?? [];
    } catch (error) {
      if (config.signal?.aborted) throw error;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      summary = { status: "failed", runId: null, name: null, version: null, attempts: 0, reason, spec };
    } finally {
      forwarding.finish(summary?.runId ?? null);
    }

    const created = summary.status === "installed" && summary.name && !state.toolsCreated.includes(summary.name);
    return {
      messages: [new HumanMessage({ content: forgeNote(summary), name: FORGE_NOTE_NAME })],
      pendingToolSpec: null,
      forgeOutcome: summary,
      forgeOutcomes: [...state.forgeOutcomes, summary],
      forgesThisTurn: state.forgesThisTurn + 1,
      toolsCreated: created ? [...state.toolsCreated, summary.name!] : state.toolsCreated,
      usage: { turnId: state.turnId, calls: usage },
    };
  };
}

function summarise(outcome: ForgeOutcome, spec: string): ForgeOutcomeSummary {
  if (outcome.status === "failed") {
    return { status: "failed", runId: outcome.runId, name: null, version: null, attempts: outcome.attempts, reason: outcome.reason, spec };
  }
  return {
    status: outcome.status,
    runId: outcome.runId,
    name: outcome.name,
    version: outcome.version,
    attempts: outcome.attempts,
    reason: null,
    spec,
  };
}

/** The note BRICK (and the cascade) read after the forge ran. */
function forgeNote(summary: ForgeOutcomeSummary): string {
  switch (summary.status) {
    case "installed":
      return (
        `The tool "${summary.name}" (version ${summary.version}) was forged, tested in the sandbox and ` +
        `installed after ${summary.attempts} attempt${summary.attempts === 1 ? "" : "s"}. It is bound now: call it to continue.`
      );
    case "reused":
      return `The tool "${summary.name}" (version ${summary.version}) already exists and is bound: call it to continue.`;
    case "failed":
      // The reason says how many attempts were made ("no module passed in 3 attempts; …").
      return (
        `Forging the requested tool failed: ${summary.reason}. ` +
        "Do not ask for this tool again this turn: answer with what you have and say that the tool could not be made."
      );
  }
}

/**
 * Forwards the bus events of the forge run started for `spec`, live: the run is recognised by its
 * `forge.started` event (same spec), then followed by its run id. Events of other runs are held
 * back; `finish(runId)` forwards those of the run the forge reported (e.g. `forge.reused`, which
 * has no `forge.started` before it) and unsubscribes.
 */
function forwardForgeEvents(bus: EventBus | undefined, spec: string, forward: (event: PublishedEvent) => void) {
  if (!bus) return { finish: (_runId: string | null) => {} };
  let live: string | null = null;
  const held: PublishedEvent[] = [];
  const unsubscribe = bus.subscribe((event) => {
    if (!("runId" in event)) return;
    if (event.type === "forge.started" && live === null && event.kind === "tool" && sameSpec(event.spec, spec)) live = event.runId;
    if (event.runId === live) forward(event);
    else held.push(event);
  });
  return {
    finish(runId: string | null) {
      unsubscribe();
      if (runId !== null && runId !== live) for (const event of held) if ("runId" in event && event.runId === runId) forward(event);
    },
  };
}

function sameSpec(a: string, b: string): boolean {
  return cleanSpec(a) === cleanSpec(b);
}
