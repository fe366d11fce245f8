/**
 * `toolforge tools update NAME` (and POST /tools/:name/update): moves a tool's pins to the active
 * versions of the tools it uses — only if its own test passes against them. The active version's
 * source is checked again, in the sandbox, with the current versions; when it passes, the same code
 * is installed as the tool's next version with the new pins (and the hosts they bring); when it
 * fails, nothing changes and the answer says why. A dependency's new version or rollback never
 * changes a dependent by itself: this is how a dependent follows.
 */
import { NotFoundError } from "../errors.js";
import type { ToolPin } from "../store/types.js";
import { noSuchTool } from "../tools/no-such-tool.js";
import { checkModule, type CheckDeps } from "./check.js";
import { installTool, type InstallDeps } from "./install.js";

export type UpdateOutcome =
  /** Its pins are the active versions already: nothing to do. */
  | { status: "current"; name: string; version: number; uses: ToolPin[] }
  /** Its test passed against the new versions: installed as `version`. */
  | { status: "updated"; name: string; from: number; version: number; moved: PinMove[] }
  /** Its test failed against the new versions (or they cannot be met): nothing changed. */
  | { status: "refused"; name: string; version: number; moved: PinMove[]; reason: string };

export interface PinMove {
  name: string;
  from: number;
  to: number;
}

export async function updateTool(deps: CheckDeps & InstallDeps, name: string, signal?: AbortSignal): Promise<UpdateOutcome> {
  const tool = await deps.store.getTool(name);
  if (!tool) throw noSuchTool(name);
  const active = await deps.store.getToolVersion(name, tool.activeVersion);
  if (!active) throw new NotFoundError(`tool "${name}" has no version ${tool.activeVersion}`, "roll it back to a version it holds");
  const moved: PinMove[] = [];
  for (const pin of active.uses) {
    const used = await deps.store.getTool(pin.name);
    if (used && used.activeVersion !== pin.version) moved.push({ name: pin.name, from: pin.version, to: used.activeVersion });
    if (!used) {
      return {
        status: "refused",
        name,
        version: active.version,
        moved,
        reason: `it uses ${pin.name}, which the library no longer holds`,
      };
    }
  }
  if (moved.length === 0) return { status: "current", name, version: active.version, uses: active.uses };

  const check = await checkModule(deps, { source: active.source, contract: "tool", expectedName: name, signal });
  if (!check.ok) return { status: "refused", name, version: active.version, moved, reason: `${check.stage}: ${check.failure}` };
  const provenance =
    active.forgeRunId !== null ? { origin: "forged" as const, forgeRunId: active.forgeRunId } : { origin: "added" as const };
  const installed = await installTool(deps, check.module, provenance);
  return { status: "updated", name, from: active.version, version: installed.version.version, moved };
}

/** An update's outcome as JSON: POST /tools/:name/update's answer, and what `toolforge tools update` prints. */
export function updatedJson(outcome: UpdateOutcome) {
  const moved = "moved" in outcome ? outcome.moved.map((m) => ({ name: m.name, from: m.from, to: m.to })) : [];
  switch (outcome.status) {
    case "current":
      return { status: outcome.status, name: outcome.name, version: outcome.version, moved, uses: outcome.uses };
    case "updated":
      return { status: outcome.status, name: outcome.name, version: outcome.version, from: outcome.from, moved };
    case "refused":
      return { status: outcome.status, name: outcome.name, version: outcome.version, moved, reason: outcome.reason };
  }
}
