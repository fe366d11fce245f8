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
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { Config } from "../config.js";
import { InvalidInputError, ModelReplyError, ModelUnavailableError, errorMessage } from "../errors.js";
import { explainModelError } from "../personas/model.js";
import type { EventBus } from "../events.js";
import type { Sandbox } from "../sandbox/types.js";
import type { ForgeAttempt, ForgeRun, ForgeStage, JsonObject, Store } from "../store/types.js";
import { compileArgsSchema } from "../tools/args.js";
import { createToolMirror, type ToolMirror } from "../tools/mirror.js";
import type { ToolRegistry } from "../tools/types.js";
import { checkModule, type CheckedModule, type ModuleCheck } from "./check.js";
import { installTool } from "./install.js";
import { findReusableTool } from "./reuse.js";
import { cleanSpec, isSelector, isToolName, requestedToolName } from "./names.js";
import {
  buildMethodPrompt,
  buildToolPrompt,
  defaultMethodSpec,
  replyText,
  resolveForgeModel,
  type AttemptFeedback,
  type ForgeModelSource,
} from "./prompt.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import type { Forge, ForgeOutcome, MethodForgeRequest, ToolForgeRequest } from "./types.js";

export interface ForgeDeps {
  store: Store;
  sandbox: Sandbox;
  bus: EventBus;
  /** Refreshed after an install so this process binds the new tool at once; its names go into the prompt. */
  registry?: ToolRegistry | undefined;
  config: Pick<Config, "ollamaHost" | "models" | "forgeMaxAttempts" | "dynamicToolsDir">;
  /** The chat model (or a factory); default: ChatOllama with FORGE_MODEL at OLLAMA_HOST. */
  model?: ForgeModelSource | undefined;
  /** Default: the mirror in config.dynamicToolsDir. */
  mirror?: ToolMirror | undefined;
}

/** What one attempt produced, before it is recorded. */
interface AttemptResult {
  stage: ForgeStage;
  outcome: "passed" | "failed";
  failure: string | null;
  reply: string;
  code: string;
  check: ModuleCheck | null;
  durations: Partial<Record<ForgeStage, number>>;
}

/** One flavour of the loop: how to prompt, check, admit and install. */
interface Flavour {
  messages(previous: AttemptFeedback | undefined): BaseMessage[];
  /** `signal`: the run's, so that a cancelled run also stops its sandbox job. */
  check(code: string, signal: AbortSignal | undefined): Promise<ModuleCheck>;
  /** Host-side checks after a passing validation; a string is the failure fed back. */
  admit(module: CheckedModule): Promise<string | null>;
  /** Installs, or refuses with a failure fed back (e.g. the name was taken meanwhile). */
  install(module: CheckedModule, runId: string): Promise<InstallDone | { refused: string }>;
}

interface Installed {
  name: string;
  version: number;
}

/** An install, with the event that announces it (published after the attempt is recorded). */
interface InstallDone extends Installed {
  announce(): void;
}

const SANDBOX_OUTPUT_CHARS = 4_000;
/** How many of the library's closest matches the tool prompt names as taken. */
const SIMILAR_TOOLS_IN_PROMPT = 12;

function firstLine(text: string | null): string | null {
  if (text === null) return null;
  return (
    text
      .split("\n")
      .find((line) => line.trim() !== "")
      ?.trim() ?? text.trim()
  );
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

export function createForge(deps: ForgeDeps): Forge {
  const serial = new KeyedSerial();
  const mirror = deps.mirror ?? createToolMirror(deps.config.dynamicToolsDir);
  const { store, bus } = deps;

  /**
   * The tools the prompt names as taken: the library's closest matches to the spec, never the whole
   * library (at thousands of tools that list alone would overflow a local model's context). A name
   * that is taken anyway is refused at install and the refusal fed back.
   */
  async function similarToolNames(spec: string): Promise<{ names: string[]; total: number }> {
    const total = await store.countTools();
    if (total === 0) return { names: [], total };
    const hits = await store.searchLibrary(spec, { kind: "tool", limit: SIMILAR_TOOLS_IN_PROMPT });
    return { names: hits.map((hit) => hit.name), total };
  }

  async function record(runId: string, number: number, result: AttemptResult): Promise<void> {
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
      failure: firstLine(result.failure),
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

  /** The loop shared by tools and methods. */
  async function loop(run: ForgeRun, flavour: Flavour, signal: AbortSignal | undefined): Promise<ForgeOutcome> {
    const model: BaseChatModel = resolveForgeModel(deps.model, deps.config);
    const maxAttempts = deps.config.forgeMaxAttempts;
    let previous: AttemptFeedback | undefined;
    let lastFailure = "";
    for (let number = 1; number <= maxAttempts; number++) {
      if (signal?.aborted) {
        await fail(run.id, `aborted before attempt ${number}`);
        throw signal.reason;
      }
      const durations: Partial<Record<ForgeStage, number>> = {};
      let reply: string;
      const modelStart = performance.now();
      try {
        const message = await model.invoke(flavour.messages(previous), signal ? { signal } : {});
        reply = replyText(message.content);
        // ChatOllama ends an aborted stream quietly, returning the partial reply: treat it as aborted.
        if (signal?.aborted) throw signal.reason;
      } catch (error) {
        durations.model = performance.now() - modelStart;
        const aborted = signal?.aborted === true;
        const explained = aborted
          ? error
          : explainModelError(error, { persona: "forge", model: deps.config.models.forge, host: deps.config.ollamaHost });
        const failure = aborted ? "aborted while waiting for the model" : `the forge model failed: ${errorMessage(explained)}`;
        await record(run.id, number, { stage: "model", outcome: "failed", failure, reply: "", code: "", check: null, durations });
        // A reply cut off mid-stream (Ollama up, the stream ended early) costs this attempt, not the run.
        if (!aborted && explained instanceof ModelReplyError) {
          lastFailure = `model: ${firstLine(failure) ?? "failed"}`;
          continue;
        }
        await fail(run.id, failure);
        if (aborted) throw signal?.reason ?? error;
        if (explained instanceof ModelUnavailableError) throw explained;
        throw new ModelUnavailableError(
          `the forge model ${deps.config.models.forge} at ${deps.config.ollamaHost} did not answer: ${errorMessage(error)}`,
          `start Ollama (ollama serve) and pull the model (ollama pull ${deps.config.models.forge}), or set FORGE_MODEL / OLLAMA_HOST`,
          error,
        );
      }
      durations.model = performance.now() - modelStart;

      let check: ModuleCheck;
      const checkStart = performance.now();
      try {
        check = await flavour.check(reply, signal);
      } catch (error) {
        // The checks could not run (sandbox down, compiler crashed): not the model's fault.
        durations.sandbox = performance.now() - checkStart;
        const failure = `validation could not run: ${errorMessage(error)}`;
        await record(run.id, number, { stage: "sandbox", outcome: "failed", failure, reply, code: "", check: null, durations });
        await fail(run.id, failure);
        throw error;
      }
      Object.assign(durations, check.durations);
      if (signal?.aborted) {
        const failure = "aborted before install";
        await record(run.id, number, {
          stage: check.ok ? "install" : check.stage,
          outcome: "failed",
          failure,
          reply,
          code: check.code,
          check,
          durations,
        });
        await fail(run.id, failure);
        throw signal.reason;
      }
      let result: AttemptResult;
      if (!check.ok) {
        result = { stage: check.stage, outcome: "failed", failure: check.failure, reply, code: check.code, check, durations };
      } else {
        const installStart = performance.now();
        let installed: InstallDone | { refused: string };
        try {
          const refusal = await flavour.admit(check.module);
          installed = refusal !== null ? { refused: refusal } : await flavour.install(check.module, run.id);
        } catch (error) {
          // A store failure is not the model's fault: record it and stop, with the store's error.
          durations.install = performance.now() - installStart;
          const failure = `install failed: ${errorMessage(error)}`;
          await record(run.id, number, { stage: "install", outcome: "failed", failure, reply, code: check.code, check, durations });
          await fail(run.id, failure);
          throw error;
        }
        durations.install = performance.now() - installStart;
        if ("refused" in installed) {
          result = { stage: "install", outcome: "failed", failure: installed.refused, reply, code: check.code, check, durations };
        } else {
          await record(run.id, number, { stage: "install", outcome: "passed", failure: null, reply, code: check.code, check, durations });
          await store.finishForgeRun(run.id, { status: "installed", result: { name: installed.name, version: installed.version } });
          installed.announce();
          return { status: "installed", runId: run.id, name: installed.name, version: installed.version, attempts: number };
        }
      }
      await record(run.id, number, result);
      lastFailure = `${result.stage}: ${firstLine(result.failure) ?? "failed"}`;
      previous = {
        attempt: number,
        stage: result.stage,
        code: result.code,
        reply,
        failure: result.failure ?? "failed",
        findings: check.findings,
      };
    }
    const outcome = await fail(
      run.id,
      `no module passed in ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"}; the last failed at ${lastFailure}`,
    );
    return { ...outcome, attempts: maxAttempts };
  }

  async function forgeTool(request: ToolForgeRequest): Promise<ForgeOutcome> {
    const spec = cleanSpec(request.spec ?? "");
    if (!spec) throw new InvalidInputError("the tool spec is empty", "say what the tool must do, its input and its output");
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
    const existing = requested ? await store.getTool(requested) : null;
    if (existing && !request.improve) return reuse(spec, requested, { name: existing.name, version: existing.activeVersion });
    if (!request.improve) {
      const similar = await findReusableTool(store, spec);
      if (similar) return reuse(spec, requested, { name: similar.name, version: similar.version });
    }
    const base = existing ? await store.getToolVersion(existing.name, existing.activeVersion) : null;
    const improve = existing && base ? { name: existing.name, version: existing.activeVersion, source: base.source } : undefined;
    const existingTools = await similarToolNames(spec);
    const run = await store.createForgeRun({ kind: "tool", spec, target: requested });
    bus.publish({ type: "forge.started", runId: run.id, kind: "tool", spec, target: requested });

    const admitName = async (name: string): Promise<string | null> => {
      if (requested && name !== requested) return `the module's name is "${name}" but it must be exactly "${requested}"`;
      if (!requested && ((await store.getTool(name)) !== null || (await deps.registry?.get(name)) != null)) {
        return `a tool named "${name}" already exists; choose a different, more specific snake_case name`;
      }
      return null;
    };

    const flavour: Flavour = {
      messages: (previous) => buildToolPrompt({ spec, requestedName: requested, existingTools, improve, previous }),
      check: (reply, signal) =>
        checkModule({ reply, contract: "tool", expectedName: requested ?? undefined, sandbox: deps.sandbox, signal }),
      admit: async (module) => {
        const nameRefusal = await admitName(module.name);
        if (nameRefusal) return nameRefusal;
        try {
          compileArgsSchema(module.name, module.schema);
        } catch (error) {
          return errorMessage(error);
        }
        return null;
      },
      install: async (module, runId) => {
        const doInstall = async () => {
          const installed = await installTool(
            { store, mirror, registry: deps.registry },
            {
              toolName: module.name,
              description: module.description,
              schema: module.schema ?? { type: "object", properties: {} },
              source: module.source,
              compiled: module.compiled,
              sha256: module.sha256,
              forgeRunId: runId,
            },
          );
          const { toolName: name, version } = installed.version;
          return { name, version, announce: () => bus.publish({ type: "tool.created", runId, name, version }) };
        };
        if (requested) return doInstall(); // already serialised on this name
        return serial.run(`tool:${module.name}`, async () => {
          // Another forge may have taken the name while this one was validating.
          const refusal = await admitName(module.name);
          return refusal !== null ? { refused: refusal } : doInstall();
        });
      },
    };
    return loop(run, flavour, request.signal);
  }

  async function forgeMethod(request: MethodForgeRequest): Promise<ForgeOutcome> {
    const { objectId, selector } = request;
    if (!isSelector(selector)) {
      throw new InvalidInputError(`not a method selector: ${JSON.stringify(selector)}`, "use snake_case: lowercase letters, digits and _");
    }
    return serial.run(`method:${objectId}#${selector}`, async () => {
      const spec = request.spec?.trim() || defaultMethodSpec(selector, request.example);
      const target = `${objectId}#${selector}`;
      const found = await store.lookupMethod(objectId, selector);
      if (found) return reuse(spec, target, { name: selector, version: found.method.version }, "method");
      const run = await store.createForgeRun({ kind: "method", spec, target });
      bus.publish({ type: "forge.started", runId: run.id, kind: "method", spec, target });
      const receiver: JsonObject = JSON.parse(JSON.stringify(request.receiver ?? {}));
      const example = request.example;
      const flavour: Flavour = {
        messages: (previous) => buildMethodPrompt({ objectId, selector, spec, receiver, example, previous }),
        check: (reply, signal) =>
          checkModule({
            reply,
            contract: "method",
            expectedName: selector,
            sandbox: deps.sandbox,
            signal,
            ...(example ? { dryRun: { self: receiver, args: example.args, kwargs: example.kwargs } } : {}),
          }),
        admit: async (module) =>
          module.name === selector ? null : `the module's name is "${module.name}" but it must be exactly "${selector}"`,
        install: async (module, runId) => {
          const installed = await store.installMethodVersion({
            objectId,
            selector,
            description: module.description,
            source: module.source,
            compiled: module.compiled,
            sha256: module.sha256,
            forgeRunId: runId,
          });
          const { objectId: holder, version } = installed;
          return {
            name: selector,
            version,
            announce: () => bus.publish({ type: "method.learned", runId, objectId: holder, selector, version }),
          };
        },
      };
      return loop(run, flavour, request.signal);
    });
  }

  return { forgeTool, forgeMethod };
}
