/**
 * One module's checks, through ./validate.ts: transpile, audit, run it in the sandbox. The result
 * says which stage failed and exactly how, in the words fed back to a model (or shown to a person),
 * or gives the checked module with the metadata the sandbox reported (never read by importing the
 * code on the host).
 */
import type { JobResult, Sandbox } from "../sandbox/types.js";
import type { AuditFinding, JsonObject, JsonValue } from "../store/types.js";
import { validateModule, type ValidationStage } from "./validate.js";

/** A module that passed every check, ready to admit and install. */
export interface CheckedModule {
  name: string;
  description: string;
  /** The input's JSON Schema (null for a method without one). */
  schema: JsonObject | null;
  /** The hosts a tool declares it calls (none for a method). */
  hosts: string[];
  source: string;
  compiled: string;
  sha256: string;
}

interface CheckCommon {
  /** The TypeScript checked. */
  code: string;
  findings: AuditFinding[];
  sandbox: JobResult | null;
  durations: Partial<Record<ValidationStage, number>>;
}

export type ModuleCheck =
  (CheckCommon & { ok: true; module: CheckedModule }) | (CheckCommon & { ok: false; stage: ValidationStage; failure: string });

export interface CheckRequest {
  source: string;
  contract: "tool" | "method";
  /** The name the module must export (a requested tool, a method's selector). */
  expectedName?: string | undefined;
  /** Methods: after the test, call the method on a copy of the receiver in the sandbox. */
  dryRun?: { self: JsonObject; args: JsonValue[]; kwargs: JsonObject } | undefined;
  /** Aborting stops the sandbox job; the check then throws (see validateModule). */
  signal?: AbortSignal | undefined;
}

export async function checkModule(sandbox: Sandbox, request: CheckRequest): Promise<ModuleCheck> {
  const result = await validateModule({
    source: request.source,
    contract: request.contract,
    sandbox,
    expectedName: request.expectedName,
    dryRun: request.dryRun,
    signal: request.signal,
  });
  const common: CheckCommon = {
    code: result.code,
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
      // Checked by validate: distinct valid host names.
      hosts: result.exports.hosts as string[],
      source: result.code,
      compiled: result.compiled,
      sha256: result.sha256,
    },
  };
}
