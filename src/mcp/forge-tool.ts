/**
 * The `forge_tool` MCP tool: a spec goes through the same forge as BRICK's TOOL_REQUIRED (model →
 * audit → sandbox validation → install). The answer is the installed tool's name, version and input
 * schema, or the refusal with the reason of every attempt, read from the forge run the store
 * recorded: the audit findings (rule, line, column) or the failure (e.g. the failing test with its
 * line in the module). While it forges, each attempt is reported as an MCP progress notification
 * when the client asked for progress.
 */
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { FORGE_TOOL_NAME } from "../contract.js";
import { errorMessage } from "../errors.js";
import type { EventBus } from "../events.js";
import { cleanSpec } from "../forge/names.js";
import type { Forge, ForgeOutcome, ToolForgeRequest } from "../forge/types.js";
import type { AuditFinding, ForgeAttempt, ForgeRun, JsonObject, Store } from "../store/types.js";
import { compileArgsSchema } from "../tools/args.js";
import type { ToolRegistry } from "../tools/types.js";
import { callResultOf, errorResult, jsonResult } from "./results.js";
import { FORGE_TOOL } from "./tools.js";

export interface ForgeToolDeps {
  forge: Forge;
  store: Store;
  registry: ToolRegistry;
  bus: EventBus;
  /** Where a progress notification that could not be sent is reported (default: process warnings). */
  diagnostics?: Diagnostics;
}

export interface ForgeToolCall {
  args: unknown;
  /** Aborts the forge (the client cancelled the request). */
  signal?: AbortSignal;
  /** Receives each step of the forge (started, each attempt), when the client asked for progress. */
  progress?: (step: { progress: number; message: string }) => Promise<void>;
}

/** How much of one attempt's failure goes into the refusal text (the store keeps all of it). */
const FAILURE_LINES = 14;
const FAILURE_CHARS = 1_500;

const checkArgs = compileArgsSchema(FORGE_TOOL_NAME, FORGE_TOOL.inputSchema);

interface ForgeToolArgs {
  spec: string;
  name?: string;
  improve?: boolean;
}

export async function runForgeTool(deps: ForgeToolDeps, call: ForgeToolCall): Promise<CallToolResult> {
  const args = call.args ?? {};
  const checked = checkArgs(args);
  if (!checked.ok) return callResultOf({ ok: false, kind: "invalid_arguments", error: checked.message, durationMs: 0 });
  const { spec, name, improve } = args as ForgeToolArgs;

  const request: ToolForgeRequest = { spec, ...(name !== undefined ? { name } : {}), ...(improve !== undefined ? { improve } : {}) };
  if (call.signal) request.signal = call.signal;
  const stopFollowing = call.progress ? followForge(deps.bus, cleanSpec(spec), call.progress, deps.diagnostics) : () => undefined;
  let outcome: ForgeOutcome;
  try {
    outcome = await deps.forge.forgeTool(request);
  } catch (error) {
    if (call.signal?.aborted) throw error;
    // A spec the forge cannot take (empty, bad name) or a forge that could not run (model, sandbox down).
    return errorResult(`ERROR (forge): ${errorMessage(error)}`);
  } finally {
    stopFollowing();
  }

  if (outcome.status === "failed") {
    const refusal = refusalReport(spec, outcome, await deps.store.getForgeRun(outcome.runId));
    return errorResult(refusal.text, refusal.structured);
  }
  const tool = await deps.registry.get(outcome.name);
  if (!tool) {
    return errorResult(
      `ERROR (forge): ${outcome.name} v${outcome.version} was installed but the tool registry could not load it; ` +
        "see the server's warnings (or `toolforge tools show " +
        outcome.name +
        "`)",
    );
  }
  const verb =
    outcome.status === "installed"
      ? `forged and installed in ${outcome.attempts} attempt${outcome.attempts === 1 ? "" : "s"}`
      : "already installed, reused";
  const text =
    `${tool.name} v${tool.version}: ${verb}. ${tool.description}\n` +
    `input schema: ${JSON.stringify(tool.schema)}\n` +
    `It is listed now: call ${tool.name} with arguments matching the schema.`;
  const structured: JsonObject = {
    status: outcome.status,
    name: tool.name,
    version: tool.version,
    description: tool.description,
    input_schema: tool.schema,
    attempts: outcome.attempts,
    run_id: outcome.runId,
  };
  return jsonResult(structured, text);
}

/** The refusal, as text for a model and as structured content: the reason, then every attempt's. */
function refusalReport(
  spec: string,
  outcome: Extract<ForgeOutcome, { status: "failed" }>,
  run: ForgeRun | null,
): { text: string; structured: JsonObject } {
  const attempts = run?.attempts ?? [];
  const lines = [`ERROR (refused): the forge did not install a tool for ${JSON.stringify(cleanSpec(spec))}: ${outcome.reason}`];
  for (const attempt of attempts) {
    if (attempt.outcome === "passed") continue;
    lines.push(`attempt ${attempt.number} failed at ${attempt.stage}:`);
    lines.push(...attemptReasons(attempt));
  }
  if (attempts.length === 0) lines.push(`(the forge run ${outcome.runId} recorded no attempts)`);
  const structured: JsonObject = {
    status: "refused",
    reason: outcome.reason,
    run_id: outcome.runId,
    attempts: attempts.map((attempt) => ({
      number: attempt.number,
      stage: attempt.stage,
      outcome: attempt.outcome,
      failure: attempt.failure,
      findings: attempt.findings.map((finding) => ({ ...finding })),
    })),
  };
  return { text: lines.join("\n"), structured };
}

function formatFinding(finding: AuditFinding): string {
  return `  ${finding.rule} at line ${finding.line}, column ${finding.column}: ${finding.message}`;
}

/** An attempt's reasons, indented: each audit finding with its rule and line, else the failure itself. */
function attemptReasons(attempt: ForgeAttempt): string[] {
  if (attempt.findings.length > 0) return attempt.findings.map(formatFinding);
  const failure = (attempt.failure ?? "failed, without a reason recorded").trim();
  let excerpt = failure.split("\n").slice(0, FAILURE_LINES).join("\n");
  if (excerpt.length > FAILURE_CHARS) excerpt = `${excerpt.slice(0, FAILURE_CHARS)}…`;
  else if (excerpt.length < failure.length) excerpt += "\n…";
  return excerpt.split("\n").map((line) => `  ${line}`);
}

/**
 * Follows the forge run of this spec on the event bus and reports its steps. The run's id is only
 * known when it starts: the first `forge.started` of a tool with this exact spec is taken as ours.
 */
function followForge(
  bus: EventBus,
  spec: string,
  report: NonNullable<ForgeToolCall["progress"]>,
  diagnostics: Diagnostics = processDiagnostics,
): () => void {
  let runId: string | null = null;
  let step = 0;
  const send = (message: string) => {
    step += 1;
    report({ progress: step, message }).catch((error: unknown) => {
      diagnostics.warn("mcp", `forge_tool could not send a progress notification: ${errorMessage(error)}`);
    });
  };
  return bus.subscribe((event) => {
    if (event.type === "forge.started" && runId === null && event.kind === "tool" && event.spec === spec) {
      runId = event.runId;
      send(`forging ${event.target ?? "a new tool"} (run ${event.runId})`);
    } else if (event.type === "forge.attempt" && event.runId === runId) {
      const how = event.outcome === "passed" ? "passed" : `failed at ${event.stage}${event.failure ? `: ${event.failure}` : ""}`;
      send(`attempt ${event.attempt} ${how}`);
    }
  });
}
