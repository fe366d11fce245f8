/**
 * One module's checks, through ./validate.ts: transpile, audit, run it in the sandbox. The result
 * says which stage failed and exactly how, in the words fed back to a model (or shown to a person),
 * or gives the checked module with the metadata the sandbox reported (never read by importing the
 * code on the host).
 */
import { MAX_DECLARED_HOSTS } from "../contract.js";
import type { JobResult, Sandbox } from "../sandbox/types.js";
import type { AuditFinding, JsonObject, JsonValue, Store, ToolPin } from "../store/types.js";
import { closureOfUses, type VersionCache } from "../tools/dependencies.js";
import { validateModule, type ResolvedTools, type ValidationStage } from "./validate.js";

/** A module that passed every check, ready to admit and install. */
export interface CheckedModule {
  name: string;
  description: string;
  /** The input's JSON Schema (null for a method without one). */
  schema: JsonObject | null;
  /**
   * The hosts a tool reaches: those it declares and those of the library tools it uses (a person
   * grants them all for it); none for a method.
   */
  hosts: string[];
  /** The library tools it uses, at the versions it was checked with (none for most). */
  uses: ToolPin[];
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

export interface CheckDeps {
  sandbox: Sandbox;
  store: Store;
  /** Tool versions already read (they never change). */
  versions?: VersionCache | undefined;
}

export async function checkModule(deps: CheckDeps, request: CheckRequest): Promise<ModuleCheck> {
  const resolveTools = async (self: string, uses: readonly string[]): Promise<ResolvedTools> => {
    const closure = await closureOfUses(deps.store, self, uses, deps.versions);
    return closure.ok ? { ok: true, ...closure.closure } : { ok: false, problem: closure.problem };
  };
  const result = await validateModule({
    source: request.source,
    contract: request.contract,
    sandbox: deps.sandbox,
    expectedName: request.expectedName,
    dryRun: request.dryRun,
    signal: request.signal,
    resolveTools,
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
  // Checked by validate: distinct valid host names.
  const hosts = [...new Set([...(result.exports.hosts as string[]), ...(result.tools?.hosts ?? [])])];
  if (hosts.length > MAX_DECLARED_HOSTS) {
    const failure = `The module reaches ${hosts.length} hosts, its own and those of the tools it uses; at most ${MAX_DECLARED_HOSTS}: use fewer tools.`;
    return { ...common, ok: false, stage: "audit", failure };
  }
  return {
    ...common,
    ok: true,
    module: {
      name: moduleName,
      description: description ?? "",
      schema,
      hosts,
      uses: result.tools?.pins ?? [],
      source: result.code,
      compiled: result.compiled,
      sha256: result.sha256,
    },
  };
}
