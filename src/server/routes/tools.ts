/**
 * The tool registry over HTTP: GET /tools, GET /tools?q=TEXT (the tools BRICK would be offered for
 * that request), GET /tools/:name (every version with its schema and source), POST /tools
 * `{source, file?}` (add a hand-written module: same contract, audit and sandbox validation as a
 * forged one; 201, or 422 with the stage and the reason), POST /tools/:name/rollback `{version?}`
 * (default: the version before the active one), POST /tools/:name/call `{args}` (runs the active
 * version as the agent would: argument check, then the sandbox; the outcome, failed or not, is a 200).
 */
import { Router } from "express";
import { z } from "zod";
import type { EventBus } from "../../events.js";
import { NotFoundError } from "../../errors.js";
import { MAX_SOURCE_CHARS } from "../../forge/validate.js";
import type { Store, ToolSummary, ToolVersion } from "../../store/types.js";
import type { AddOutcome } from "../../tools/add.js";
import type { ToolLibraryDeps } from "../../tools/library-deps.js";
import { selectTools } from "../../tools/selection.js";
import { HttpError } from "../errors.js";
import { parseBody } from "../validate.js";

export type { ToolLibraryDeps };

const addBody = z.strictObject({
  source: z.string().min(1, "must be the module's source").max(MAX_SOURCE_CHARS, `must be at most ${MAX_SOURCE_CHARS} characters`),
  file: z.string().max(1000).optional(),
});

const callBody = z.strictObject({
  args: z.record(z.string(), z.json(), { message: "must be a JSON object of the tool's arguments" }).default({}),
});

const rollbackBody = z.strictObject({
  version: z.number().int().min(1, "must be a version number of 1 or more").optional(),
});

export function toolsRouter(store: Store, bus: EventBus, library?: ToolLibraryDeps): Router {
  const router = Router();

  router.get("/tools", async (req, res) => {
    const q = req.query["q"];
    if (q !== undefined) {
      if (typeof q !== "string") throw new HttpError(400, "invalid_query", "q must be given once, as text");
      res.json(await offeredToolsJson(store, library, q));
      return;
    }
    const tools = await store.listTools();
    res.json({ tools: tools.map(summaryJson) });
  });

  router.post("/tools", async (req, res) => {
    const { source, file } = parseBody(addBody, req.body);
    if (!library) {
      throw new HttpError(503, "adding_unavailable", "this server cannot add tools: it was started without a sandbox for validating them", {
        hint: "add them with `toolforge tools add --local FILE` on a machine with Docker and gVisor",
      });
    }
    const outcome = await library.addTool({ file: file ?? "request body", source });
    if (outcome.status === "refused") {
      throw new HttpError(422, "module_refused", `the module was refused at ${outcome.stage}: ${outcome.reason}`, {
        hint: "fix the module and send it again; nothing of it was installed",
      });
    }
    res.status(201).json(addedJson(outcome));
  });

  router.get("/tools/:name", async (req, res) => {
    res.json(await toolDetailJson(store, req.params.name));
  });

  router.post("/tools/:name/call", async (req, res) => {
    const { args } = parseBody(callBody, req.body ?? {});
    if (!library) {
      throw new HttpError(503, "calling_unavailable", "this server cannot call tools: it was started without a sandbox to run them", {
        hint: "call it through the agent, or with `toolforge mcp` on a machine with Docker and gVisor",
      });
    }
    const tool = await library.registry.get(req.params.name);
    if (!tool) throw noSuchTool(req.params.name);
    const outcome = await library.registry.call(tool.name, args);
    res.json(
      outcome.ok
        ? { name: tool.name, version: tool.version, ok: true, result: outcome.result, duration_ms: outcome.durationMs }
        : { name: tool.name, version: tool.version, ok: false, kind: outcome.kind, error: outcome.error, duration_ms: outcome.durationMs },
    );
  });

  router.post("/tools/:name/rollback", async (req, res) => {
    const { version } = parseBody(rollbackBody, req.body ?? {});
    const result = await rollbackToolJson(store, req.params.name, version);
    bus.publish({ type: "tool.rolled_back", name: result.name, version: result.active_version });
    res.json(result);
  });

  return router;
}

/**
 * GET /tools?q='s answer: the tools BRICK would get bound for `q` as the first message of a thread
 * (TOOL_BIND_LIMIT, find_tools included when the library does not fit), each with why. Without the
 * registry (a bare store), the store's best matches.
 */
export async function offeredToolsJson(store: Store, library: Pick<ToolLibraryDeps, "registry" | "bindLimit"> | undefined, q: string) {
  if (!library) {
    const hits = await store.searchLibrary(q, { kind: "tool" });
    return {
      query: q,
      bind_limit: null,
      tools: hits.map((h) => ({ name: h.name, description: h.description, origin: "forged", reason: "matched" })),
    };
  }
  const selection = await selectTools(library.registry, { text: q, used: [], found: [] }, library.bindLimit);
  const tools = [];
  for (const name of selection.names) {
    const tool = await library.registry.get(name);
    if (tool) tools.push({ name, description: tool.description, origin: tool.origin, reason: selection.reasons[name] });
  }
  return { query: q, bind_limit: library.bindLimit, tools };
}

/** POST /tools' answer for an installed module. */
export function addedJson(outcome: Extract<AddOutcome, { status: "added" }>) {
  return {
    status: "added",
    name: outcome.name,
    version: outcome.version,
    origin: "added",
    file: outcome.file,
    duration_ms: outcome.durationMs,
  };
}

/** GET /tools/:name's answer: the tool, its active source and every version. */
export async function toolDetailJson(store: Store, name: string) {
  const summary = await store.getTool(name);
  if (!summary) throw noSuchTool(name);
  const versions = await store.listToolVersions(name);
  const active = versions.find((v) => v.version === summary.activeVersion);
  return { ...summaryJson(summary), source: active?.source ?? null, versions: versions.map(versionJson) };
}

/** Makes `version` (default: the one before the active one) active; POST /tools/:name/rollback's answer. */
export async function rollbackToolJson(store: Store, name: string, version: number | undefined) {
  const before = await store.getTool(name);
  if (!before) throw noSuchTool(name);
  const active = await store.rollbackTool(name, version);
  return { name, active_version: active.version, previous_version: before.activeVersion };
}

function noSuchTool(name: string): NotFoundError {
  return new NotFoundError(`no tool named "${name}"`, "GET /tools (or `toolforge tools list`) lists the tools that exist");
}

/** The JSON of a tool in GET /tools (also what `toolforge tools --local` prints). */
export function summaryJson(tool: ToolSummary) {
  return {
    name: tool.name,
    description: tool.description,
    active_version: tool.activeVersion,
    version_count: tool.versionCount,
    origin: tool.origin,
    schema: tool.schema,
    updated_at: tool.updatedAt,
  };
}

/** The JSON of one version in GET /tools/:name. */
export function versionJson(version: ToolVersion) {
  return {
    version: version.version,
    status: version.status,
    description: version.description,
    schema: version.schema,
    sha256: version.sha256,
    origin: version.origin,
    forge_run_id: version.forgeRunId,
    created_at: version.createdAt,
    source: version.source,
  };
}
