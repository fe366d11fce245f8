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
import { MAX_SOURCE_CHARS } from "../../contract.js";
import { addedJson, updatedJson, type AddOutcome, type ModuleSource, type UpdateOutcome } from "../../admission/index.js";
import type { Store } from "../../store/types.js";
import { answerGrants, revokeGrants } from "../../tools/grants.js";
import { noSuchTool } from "../../tools/no-such-tool.js";
import { grantsJson, offeredToolsJson, rollbackToolJson, summaryJson, toolDetailJson } from "../../tools/library-json.js";
import type { ToolRegistry } from "../../tools/types.js";
import { HttpError } from "../errors.js";
import { parseBody } from "../validate.js";
import { noQuery, parseQuery } from "./query.js";

/** What GET /tools?q=, POST /tools and POST /tools/:name/call need beyond the store (the server passes its runtime's). */
export interface ToolLibraryDeps {
  registry: ToolRegistry;
  /** TOOL_BIND_LIMIT. */
  bindLimit: number;
  /** Checks a module in the sandbox and installs it (the runtime's admission). */
  addTool: (module: ModuleSource) => Promise<AddOutcome>;
  /** Moves a tool's pins to the current versions of the tools it uses, if its test passes (the runtime's admission). */
  updateTool: (name: string, signal?: AbortSignal) => Promise<UpdateOutcome>;
}

const addBody = z.strictObject({
  source: z.string().min(1, "must be the module's source").max(MAX_SOURCE_CHARS, `must be at most ${MAX_SOURCE_CHARS} characters`),
  file: z.string().max(1000).optional(),
});

const callBody = z.strictObject({
  args: z.record(z.string(), z.json(), { message: "must be a JSON object of the tool's arguments" }).default({}),
});

const grantBody = z.strictObject({
  decision: z.enum(["grant", "deny"], { message: 'must be "grant" or "deny"' }),
  scope: z
    .enum(["tool", "version"], { message: 'must be "tool" (this version and later ones) or "version" (this version only)' })
    .optional(),
  hosts: z.array(z.string().min(1)).max(64).optional(),
  credential: z
    .strictObject({ header: z.string().min(1).max(64), value: z.string().min(1).max(8192) })
    .nullable()
    .optional(),
  private_network: z.boolean().optional(),
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
    parseQuery(noQuery, req.query);
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

  router.get("/tools/:name/grants", async (req, res) => {
    res.json(await grantsJson(store, req.params.name));
  });

  router.post("/tools/:name/grants", async (req, res) => {
    const { private_network, ...answer } = parseBody(grantBody, req.body);
    await answerGrants({ store, bus }, req.params.name, {
      ...answer,
      ...(private_network !== undefined ? { privateNetwork: private_network } : {}),
    });
    res.status(201).json(await grantsJson(store, req.params.name));
  });

  router.delete("/tools/:name/grants/:host", async (req, res) => {
    const revoked = await revokeGrants({ store, bus }, req.params.name, [req.params.host]);
    res.json({ ...(await grantsJson(store, req.params.name)), revoked });
  });

  router.post("/tools/:name/update", async (req, res) => {
    parseQuery(noQuery, req.query);
    parseBody(z.strictObject({}), req.body ?? {});
    if (!library) {
      throw new HttpError(503, "updating_unavailable", "this server cannot update tools: it was started without a sandbox to test them", {
        hint: "update it with `toolforge tools update --local NAME` on a machine with Docker and gVisor",
      });
    }
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    res.json(updatedJson(await library.updateTool(req.params.name, controller.signal)));
  });

  router.post("/tools/:name/rollback", async (req, res) => {
    const { version } = parseBody(rollbackBody, req.body ?? {});
    const result = await rollbackToolJson(store, req.params.name, version);
    bus.publish({ type: "tool.rolled_back", name: result.name, version: result.active_version });
    res.json(result);
  });

  return router;
}
