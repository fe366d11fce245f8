/**
 * Genesis for the persona models: `toolforge-brick`, `toolforge-robin`, `toolforge-babs` and
 * `toolforge-alfred`, each created in Ollama through its create API FROM the persona's base model
 * (BRICK_MODEL …), with the persona's role as SYSTEM prompt and, when BRICK_ADAPTER (…) names a
 * LoRA adapter file, that ADAPTER (uploaded as a blob first).
 *
 * Idempotence: the definition sent (base, system prompt, adapter digest) is hashed and remembered
 * per Ollama host in DATA_DIR/genesis/persona-models.json with the base it came FROM; a model that
 * Ollama has and whose remembered definition is the same is left alone ("exists"). A changed
 * prompt, base or adapter re-creates it ("updated"). When BRICK_MODEL (…) already names
 * toolforge-brick (to serve with it), the remembered base is used.
 */
import { processDiagnostics } from "../diagnostics.js";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config, PersonaName } from "../config.js";
import { ModelUnavailableError, errorMessage } from "../errors.js";
import { PERSONA_ORDER, PERSONAS } from "../personas/registry.js";
import { sha256File } from "../archive/files.js";
import { OllamaClient, type CreateModelRequest } from "./ollama-client.js";
import type { StepRecorder } from "./report.js";

export const PERSONA_MODEL_PREFIX = "toolforge-";

export function personaModelName(persona: PersonaName): string {
  return `${PERSONA_MODEL_PREFIX}${persona}`;
}

/** What genesis last created for a model: the definition's digest and the base model it came FROM. */
interface RememberedModel {
  digest: string;
  from: string;
}

/** Ollama host → model name → what was created there. */
type Remembered = Record<string, Record<string, RememberedModel>>;

export async function personaModelsStep(config: Config, steps: StepRecorder, client = new OllamaClient(config.ollamaHost)): Promise<void> {
  try {
    await client.version();
  } catch (error) {
    if (error instanceof ModelUnavailableError) {
      steps.add(
        "persona models",
        "skipped",
        `Ollama not reachable at ${config.ollamaHost} — start it with \`ollama serve\` (or set OLLAMA_HOST); skipped persona models`,
      );
    } else {
      steps.add("persona models", "failed", `${errorMessage(error)}; is ${config.ollamaHost} an Ollama server?`);
    }
    return;
  }
  const stateFile = path.join(config.dataDir, "genesis", "persona-models.json");
  const remembered = await readRemembered(stateFile);
  const here = (remembered[config.ollamaHost] ??= {});
  for (const persona of PERSONA_ORDER) {
    const name = personaModelName(persona);
    try {
      const outcome = await ensurePersonaModel(config, client, persona, here[name]);
      if (outcome.remember) here[name] = outcome.remember;
      steps.add(`model ${name}`, outcome.status, outcome.detail);
    } catch (error) {
      steps.add(`model ${name}`, "failed", errorMessage(error));
    }
    await writeRemembered(stateFile, remembered);
  }
}

interface ModelOutcome {
  status: "created" | "updated" | "exists" | "skipped";
  detail: string;
  /** What to remember (when the model now matches the definition). */
  remember?: RememberedModel;
}

async function ensurePersonaModel(
  config: Config,
  client: OllamaClient,
  persona: PersonaName,
  remembered: RememberedModel | undefined,
): Promise<ModelOutcome> {
  const name = personaModelName(persona);
  const variable = PERSONAS[persona].modelVariable;
  const configured = config.models[persona];
  // Serving with BRICK_MODEL=toolforge-brick: the base is the one the last genesis built it FROM.
  const namesItself = configured === name || configured === `${name}:latest`;
  const base = namesItself ? remembered?.from : configured;
  if (base === undefined) {
    return {
      status: "skipped",
      detail: `${variable} names ${name} itself and no earlier genesis recorded its base; run genesis once with ${variable} set to the base model (e.g. llama3.1:8b)`,
    };
  }
  const adapter = await adapterOf(config, persona);
  const request: CreateModelRequest = { model: name, from: base, system: PERSONAS[persona].role };
  if (adapter) request.adapters = { [adapter.fileName]: adapter.digest };
  const digest = createHash("sha256").update(JSON.stringify(request)).digest("hex");
  const existing = await client.show(name);
  const withAdapter = adapter ? ` with ADAPTER ${adapter.path}` : "";
  if (existing && remembered?.digest === digest) {
    return { status: "exists", detail: `FROM ${base}${withAdapter}, same definition`, remember: { digest, from: base } };
  }
  if (!(await client.show(base))) {
    return {
      status: "skipped",
      detail: `its base model ${base} (${variable}) is not in Ollama — run \`ollama pull ${base}\`, then genesis again`,
    };
  }
  if (adapter && !(await client.blobExists(adapter.digest))) await client.pushBlob(adapter.digest, adapter.path);
  await client.create(request);
  return {
    status: existing ? "updated" : "created",
    detail: `FROM ${base}${withAdapter}, SYSTEM: the ${PERSONAS[persona].title} role prompt${existing ? " (definition changed)" : ""}`,
    remember: { digest, from: base },
  };
}

async function adapterOf(config: Config, persona: PersonaName): Promise<{ path: string; fileName: string; digest: string } | null> {
  const configured = config.adapters[persona];
  if (!configured) return null;
  const file = path.resolve(configured);
  if (!existsSync(file)) {
    throw new Error(
      `${persona.toUpperCase()}_ADAPTER=${configured}: no such file; point it at the LoRA adapter your trainer wrote (e.g. adapter_model.safetensors or a GGUF adapter)`,
    );
  }
  return { path: file, fileName: path.basename(file), digest: `sha256:${await sha256File(file)}` };
}

async function readRemembered(file: string): Promise<Remembered> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(await readFile(file, "utf8")) as Remembered;
  } catch (error) {
    // A damaged memory only costs a re-create of the models; say so and start afresh.
    processDiagnostics.warn("genesis", `${file} is not valid JSON (${errorMessage(error)}); persona models will be re-created`);
    return {};
  }
}

async function writeRemembered(file: string, remembered: Remembered): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  await writeFile(temporary, JSON.stringify(remembered, null, 2) + "\n");
  await rename(temporary, file);
}
