/**
 * The tool registry over HTTP: GET /tools, GET /tools/:name (every version with its schema and
 * source), POST /tools/:name/rollback `{version?}` (default: the version before the active one).
 */
import { Router } from "express";
import { z } from "zod";
import type { EventBus } from "../../events.js";
import { NotFoundError } from "../../errors.js";
import type { Store, ToolSummary, ToolVersion } from "../../store/types.js";
import { parseBody } from "../validate.js";

const rollbackBody = z.strictObject({
  version: z.number().int().min(1, "must be a version number of 1 or more").optional(),
});

export function toolsRouter(store: Store, bus: EventBus): Router {
  const router = Router();

  router.get("/tools", async (_req, res) => {
    const tools = await store.listTools();
    res.json({ tools: tools.map(summaryJson) });
  });

  router.get("/tools/:name", async (req, res) => {
    res.json(await toolDetailJson(store, req.params.name));
  });

  router.post("/tools/:name/rollback", async (req, res) => {
    const { version } = parseBody(rollbackBody, req.body ?? {});
    const result = await rollbackToolJson(store, req.params.name, version);
    bus.publish({ type: "tool.rolled_back", name: result.name, version: result.active_version });
    res.json(result);
  });

  return router;
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
    forge_run_id: version.forgeRunId,
    created_at: version.createdAt,
    source: version.source,
  };
}
