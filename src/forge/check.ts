/**
 * One attempt's checks on a model reply, through ./validate.ts: extract the module, transpile,
 * audit, run it in the sandbox. The result says which stage failed and exactly how,
 * in the words fed back to the model, or gives the checked module with the metadata the sandbox
 * reported (never read by importing the code on the host).
 */
import type { JobResult, Sandbox } from "../sandbox/types.js";
import type { AuditFinding, ForgeStage, JsonObject, JsonValue } from "../store/types.js";
import { validateModule } from "./validate.js";

/** A module that passed every check, ready to install. */
export interface CheckedModule {
  name: string;
  description: string;
  /** The input's JSON Schema (null for a method without one). */
  schema: JsonObject | null;
  source: string;
  compiled: string;
  sha256: string;
}

interface CheckCommon {
  /** The extracted TypeScript ("" when extraction failed). */
  code: string;
  findings: AuditFinding[];
  sandbox: JobResult | null;
  durations: Partial<Record<ForgeStage, number>>;
}

export type ModuleCheck =
  (CheckCommon & { ok: true; module: CheckedModule }) | (CheckCommon & { ok: false; stage: ForgeStage; failure: string });

export interface CheckRequest {
  reply: string;
  contract: "tool" | "method";
  expectedName?: string | undefined;
  sandbox: Sandbox;
  dryRun?: { self: JsonObject; args: JsonValue[]; kwargs: JsonObject } | undefined;
  /** Aborting stops the sandbox job; the check then throws (see validateModule). */
  signal?: AbortSignal | undefined;
}

export async function checkModule(request: CheckRequest): Promise<ModuleCheck> {
  const result = await validateModule({
    reply: request.reply,
    contract: request.contract,
    sandbox: request.sandbox,
    expectedName: request.expectedName,
    dryRun: request.dryRun,
    signal: request.signal,
  });
  const common: CheckCommon = {
    code: result.code ?? "",
    findings: result.findings,
    sandbox: result.sandbox,
    durations: { ...result.durations },
  };
  if (!result.ok) return { ...common, ok: false, stage: result.stage, failure: result.failure };
  const { name, description, schema } = result.exports;
  // Tools always have all three (validate checks them); a method may leave out name and description.
  const moduleName = name ?? request.expectedName;
  if (moduleName === undefined) throw new Error("validateModule passed a module without a name and none was expected");
  return {
    ...common,
    ok: true,
    module: {
      name: moduleName,
      description: description ?? "",
      schema,
      source: result.code,
      compiled: result.compiled,
      sha256: result.sha256,
    },
  };
}
