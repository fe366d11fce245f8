/**
 * `toolforge dataset export`: writes the fine-tuning dataset as JSONL in chat format — the forge's
 * accepted modules with their prompts, then the persona turns from the checkpoints. The file is
 * written to a temporary name and renamed, so a dataset that exists is complete.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config, PersonaName } from "../config.js";
import type { Store } from "../store/types.js";
import type { ChatExample } from "./chat-format.js";
import { forgeExamples } from "./forge-examples.js";
import { personaExamples } from "./persona-examples.js";

export interface DatasetExportOptions {
  /** The JSONL file (default: DATA_DIR/datasets/dataset-<time>.jsonl). */
  out?: string;
  /** Which examples (default: both). */
  only?: "forge" | "personas";
  /** Persona turns of one persona only. */
  persona?: PersonaName;
}

export interface DatasetExport {
  file: string;
  forgeExamples: number;
  personaExamples: number;
}

export function defaultDatasetFile(config: Pick<Config, "dataDir">, now = new Date()): string {
  return path.join(config.dataDir, "datasets", `dataset-${now.toISOString().replace(/[:.]/g, "-")}.jsonl`);
}

export async function collectExamples(
  store: Store,
  options: DatasetExportOptions = {},
): Promise<{ forge: ChatExample[]; personas: ChatExample[] }> {
  const forge = options.only === "personas" ? [] : await forgeExamples(store);
  const personas = options.only === "forge" ? [] : await personaExamples(store, options.persona ? { persona: options.persona } : {});
  return { forge, personas };
}

export async function exportDataset(
  config: Pick<Config, "dataDir">,
  store: Store,
  options: DatasetExportOptions = {},
): Promise<DatasetExport> {
  const { forge, personas } = await collectExamples(store, options);
  const file = path.resolve(options.out ?? defaultDatasetFile(config));
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${randomBytes(4).toString("hex")}.partial`;
  try {
    await writeFile(partial, [...forge, ...personas].map((example) => JSON.stringify(example) + "\n").join(""));
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { file, forgeExamples: forge.length, personaExamples: personas.length };
}
