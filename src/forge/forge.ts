/**
 * The forge loop: spec → model → extract → validate (transpile, audit, sandbox) → on failure feed
 * the exact failure back and try again, at most FORGE_MAX_ATTEMPTS times → install. Every attempt
 * is recorded in the store (reply, code, stage, outcome, failure, findings, trimmed sandbox output,
 * durations per stage including the model) and announced on the event bus.
 *
 * forgeTool: find before forging — an active tool answering the requested name, or one the library
 * search finds matching the spec well enough (./reuse.ts), is the result (`reused`, no model call);
 * `improve` forges version n+1 on purpose. forgeMethod: the same loop with the method flavour, the dry
 * run on a copy of the receiver, and installation on the receiver.
 *
 * Concurrency: work on one tool name (or one object's selector) is serialised in this process, so
 * two forges of the same tool never install twice; across processes the store's install
 * transaction is the guard.
 */
import type { Admission, CheckedModule } from "../admission/index.js";
import type { Config } from "../config.js";
import { RESERVED_TOOL_NAMES } from "../contract.js";
import { InvalidInputError } from "../errors.js";
import type { EventBus } from "../events.js";
import type { ModelFactsCache } from "../personas/model-info.js";
import type { ModelCallUsage } from "../personas/usage.js";
import type { ForgeAttempt, ForgeRun, JsonObject, Store } from "../store/types.js";
import type { ToolRegistry } from "../tools/types.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import { runAttempt, type AttemptRecord, type Flavour, type InstallDone } from "./attempt.js";
import { describeFailedAttempt, summariseFailure } from "./failure-summary.js";
import { checkSpecLength, cleanSpec, isSelector, isToolName, requestedToolName } from "./names.js";
import {
  buildMethodPrompt,
  buildToolPrompt,
  type BuildingBlock,
  defaultMethodSpec,
  forgeWindow,
  resolveForgeModel,
  type AttemptFeedback,
  type ForgeModelSource,
} from "./prompt.js";
import { findReusableTool } from "./reuse.js";
import type { Forge, ForgeOutcome, MethodForgeRequest, ToolForgeRequest } from "./types.js";

export interface ForgeDeps {
  store: Store;
  /** How a module is checked, admitted and installed (src/admission). */
  admission: Admission;
  bus: EventBus;
  /** Its names go into the prompt; built-ins are never forged over. */
  registry?: ToolRegistry | undefined;
  config: Pick<Config, "ollamaHost" | "models" | "forgeMaxAttempts"> & Partial<Pick<Config, "numCtx" | "thinking" | "keepAlive">>;
  /** What Ollama says about the forge model (window, thinking); shared with the personas so that both ask for the same num_ctx. */
  modelFacts?: ModelFactsCache | undefined;
  /** The chat model (or a factory); default: ChatOllama with FORGE_MODEL at OLLAMA_HOST. */
  model?: ForgeModelSource | undefined;
}

interface Installed {
  name: string;
  version: number;
}

const SANDBOX_OUTPUT_CHARS = 4_000;
/** How many of the library's closest matches the tool prompt names as taken. */
const SIMILAR_TOOLS_IN_PROMPT = 12;
/** How many of them the tool prompt offers as building blocks, with their descriptions and inputs. */
const BUILDING_BLOCKS_IN_PROMPT = 6;

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

export function createForge(deps: ForgeDeps): Forge {
  const serial = new KeyedSerial();
  const { store, bus, admission } = deps;

  /**
   * The tools the prompt names as taken: the library's closest matches to the spec, never the whole
   * library (at thousands of tools that list alone would overflow a local model's context). A name
   * that is taken anyway is refused at install and the refusal fed back.
   */
  async function similarTools(
    spec: string,
  ): Promise<{ existingTools: { names: string[]; total: number }; buildingBlocks: BuildingBlock[] }> {
    const total = await store.countTools();
    if (total === 0) return { existingTools: { names: [], total }, buildingBlocks: [] };
    const hits = await store.searchLibrary(spec, { kind: "tool", limit: SIMILAR_TOOLS_IN_PROMPT });
    const buildingBlocks: BuildingBlock[] = [];
    for (const hit of hits.slice(0, BUILDING_BLOCKS_IN_PROMPT)) {
      const tool = await store.getTool(hit.name);
      if (tool) buildingBlocks.push({ name: tool.name, description: tool.description, schema: tool.schema });
    }
    return { existingTools: { names: hits.map((hit) => hit.name), total }, buildingBlocks };
  }

  /** The forge model's window, which every request is fitted to (prompt.ts). */
  async function modelWindow(): Promise<number> {
    return forgeWindow(deps.config, (await deps.modelFacts?.get(deps.config.models.forge)) ?? null);
  }

  async function record(runId: string, number: number, result: AttemptRecord): Promise<void> {
    const job = result.check?.sandbox ?? null;
    const attempt: ForgeAttempt = {
      number,
      reply: result.reply,
      code: result.code,
      stage: result.stage,
      outcome: result.outcome,
      failure: result.failure,
      findings: result.check?.findings ?? [],
      sandbox: job
        ? {
            exitCode: job.exitCode,
            timedOut: job.timedOut,
            oomKilled: job.oomKilled,
            stdout: tail(job.stdout, SANDBOX_OUTPUT_CHARS),
            stderr: tail(job.stderr, SANDBOX_OUTPUT_CHARS),
            report: JSON.parse(JSON.stringify(job.report ?? null)),
          }
        : null,
      durations: Object.fromEntries(Object.entries(result.durations).map(([stage, ms]) => [stage, Math.round(ms * 100) / 100])),
      createdAt: new Date().toISOString(),
    };
    await store.addForgeAttempt(runId, attempt);
    bus.publish({
      type: "forge.attempt",
      runId,
      attempt: number,
      stage: result.stage,
      outcome: result.outcome,
      failure: result.outcome === "failed" ? summariseFailure({ ...result, findings: attempt.findings }).text : null,
    });
  }

  async function fail(runId: string, reason: string): Promise<ForgeOutcome & { status: "failed" }> {
    await store.finishForgeRun(runId, { status: "failed", error: reason });
    bus.publish({ type: "forge.failed", runId, reason });
    return { status: "failed", runId, reason, attempts: 0 };
  }

  /** Records a run that found what was asked for already there: no model call. */
  async function reuse(spec: string, target: string | null, result: Installed, kind: ForgeRun["kind"] = "tool"): Promise<ForgeOutcome> {
    const run = await store.createForgeRun({ kind, spec, target });
    await store.finishForgeRun(run.id, { status: "reused", result });
    bus.publish({ type: "forge.reused", runId: run.id, ...result });
    return { status: "reused", runId: run.id, ...result, attempts: 0 };
  }

  /** The loop shared by tools and methods: attempts until one installs, or the attempts run out. */
  async function loop(run: ForgeRun, flavour: Flavour, signal: AbortSignal | undefined): Promise<ForgeOutcome> {
    const model = resolveForgeModel(deps.model, deps.config, await deps.modelFacts?.get(deps.config.models.forge));
    const usage: ModelCallUsage[] = [];
    const maxAttempts = deps.config.forgeMaxAttempts;
    let previous: AttemptFeedback | undefined;
    let lastFailure = "";
    for (let number = 1; number <= maxAttempts; number++) {
      if (signal?.aborted) {
        await fail(run.id, `aborted before attempt ${number}`);
        throw signal.reason;
      }
      const outcome = await runAttempt({
        number,
        previous,
        flavour,
        model,
        modelName: deps.config.models.forge,
        host: deps.config.ollamaHost,
        signal,
        usage,
      });
      await record(run.id, number, outcome.record);
      if (outcome.kind === "stopped") {
        await fail(run.id, outcome.reason);
        throw outcome.error;
      }
      if (outcome.kind === "installed") {
        const { name, version } = outcome.installed;
        await store.finishForgeRun(run.id, { status: "installed", result: { name, version } });
        outcome.installed.announce();
        return { status: "installed", runId: run.id, name, version, attempts: number, usage };
      }
      lastFailure = describeFailedAttempt(number, { ...outcome.record, findings: outcome.record.check?.findings ?? [] });
      previous = outcome.feedback ?? previous;
    }
    const outcome = await fail(run.id, `no module passed in ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"}; ${lastFailure}`);
    return { ...outcome, attempts: maxAttempts, usage };
  }

  async function forgeTool(request: ToolForgeRequest): Promise<ForgeOutcome> {
    const spec = cleanSpec(request.spec ?? "");
    if (!spec) throw new InvalidInputError("the tool spec is empty", "say what the tool must do, its input and its output");
    checkSpecLength(spec);
    if (request.name !== undefined && !isToolName(request.name)) {
      throw new InvalidInputError(`not a tool name: ${JSON.stringify(request.name)}`, "use snake_case: lowercase letters, digits and _");
    }
    const requested = request.name ?? requestedToolName(spec);
    if (request.improve && !requested) {
      throw new InvalidInputError("improving a tool needs its name", 'name it in the spec ("word_count: …") or pass `name`');
    }
    const work = () => forgeToolSerialised(spec, requested, request);
    // Unnamed specs serialise on the name the model picks, at install time (see admit/install).
    return requested ? serial.run(`tool:${requested}`, work) : work();
  }

  async function forgeToolSerialised(spec: string, requested: string | null, request: ToolForgeRequest): Promise<ForgeOutcome> {
    const builtin = requested && deps.registry ? await deps.registry.get(requested) : null;
    if (builtin?.origin === "builtin") {
      if (request.improve) throw new InvalidInputError(`${builtin.name} is a built-in tool; it cannot be re-forged`);
      return reuse(spec, requested, { name: builtin.name, version: builtin.version });
    }
    if (requested && RESERVED_TOOL_NAMES.has(requested)) {
      // Admission would refuse the module at install, after every attempt's model call: say so now.
      throw new InvalidInputError(
        `"${requested}" is reserved: it names one of ToolForge's own tools (${[...RESERVED_TOOL_NAMES].join(", ")})`,
        "ask for the tool under another name",
      );
    }
    const existing = requested ? await store.getTool(requested) : null;
    if (existing && !request.improve) return reuse(spec, requested, { name: existing.name, version: existing.activeVersion });
    if (!request.improve) {
      const similar = await findReusableTool(store, spec);
      if (similar) return reuse(spec, requested, { name: similar.name, version: similar.version });
    }
    const base = existing ? await store.getToolVersion(existing.name, existing.activeVersion) : null;
    const improve = existing && base ? { name: existing.name, version: existing.activeVersion, source: base.source } : undefined;
    const { existingTools, buildingBlocks } = await similarTools(spec);
    const window = await modelWindow();
    const run = await store.createForgeRun({ kind: "tool", spec, target: requested });
    bus.publish({ type: "forge.started", runId: run.id, kind: "tool", spec, target: requested });

    // A requested name gets its next version; a name the model picks must be new.
    const rules = { expectedName: requested, newVersion: requested !== null };
    const flavour: Flavour = {
      messages: (previous) => buildToolPrompt({ spec, requestedName: requested, existingTools, buildingBlocks, improve, previous }, window),
      check: (code, signal) => admission.check({ source: code, contract: "tool", expectedName: requested ?? undefined, signal }),
      install: async (module) => {
        const admitAndInstall = async (): Promise<InstallDone | { refused: string }> => {
          const refusal = await admission.toolRefusal(module, rules);
          if (refusal !== null) return { refused: refusal };
          const installed = await admission.installTool(module, { origin: "forged", forgeRunId: run.id });
          const { toolName: name, version } = installed.version;
          return { name, version, announce: () => bus.publish({ type: "tool.created", runId: run.id, name, version }) };
        };
        // A requested name is already serialised; a name the model picked is serialised here, so
        // that two forges picking it at once cannot both install it.
        return requested ? admitAndInstall() : serial.run(`tool:${module.name}`, admitAndInstall);
      },
    };
    return loop(run, flavour, request.signal);
  }

  async function forgeMethod(request: MethodForgeRequest): Promise<ForgeOutcome> {
    const { objectId, selector } = request;
    if (!isSelector(selector)) {
      throw new InvalidInputError(`not a method selector: ${JSON.stringify(selector)}`, "use snake_case: lowercase letters, digits and _");
    }
    if (request.spec !== undefined) checkSpecLength(request.spec.trim());
    return serial.run(`method:${objectId}#${selector}`, async () => {
      const spec = request.spec?.trim() || defaultMethodSpec(selector, request.example);
      const target = `${objectId}#${selector}`;
      const found = await store.lookupMethod(objectId, selector);
      if (found) return reuse(spec, target, { name: selector, version: found.method.version }, "method");
      const window = await modelWindow();
      const run = await store.createForgeRun({ kind: "method", spec, target });
      bus.publish({ type: "forge.started", runId: run.id, kind: "method", spec, target });
      const receiver: JsonObject = JSON.parse(JSON.stringify(request.receiver ?? {}));
      const example = request.example;
      const flavour: Flavour = {
        messages: (previous) => buildMethodPrompt({ objectId, selector, spec, receiver, example, previous }, window),
        check: (code, signal) =>
          admission.check({
            source: code,
            contract: "method",
            expectedName: selector,
            signal,
            ...(example ? { dryRun: { self: receiver, args: example.args, kwargs: example.kwargs } } : {}),
          }),
        install: async (module: CheckedModule) => {
          if (module.name !== selector) return { refused: `the module's name is "${module.name}" but it must be exactly "${selector}"` };
          const installed = await admission.installMethod(module, { objectId, selector, forgeRunId: run.id });
          const { objectId: holder, version } = installed;
          return {
            name: selector,
            version,
            announce: () => bus.publish({ type: "method.learned", runId: run.id, objectId: holder, selector, version }),
          };
        },
      };
      return loop(run, flavour, request.signal);
    });
  }

  return { forgeTool, forgeMethod };
}
