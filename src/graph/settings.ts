/**
 * Per-run settings: the graph's configuration schema (declared on the StateGraph, so LangGraph
 * Studio shows it as an assistant's settings and every run's `configurable` is validated against
 * it). Anything not given falls back to the environment's configuration.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import type { Config, PersonaName } from "../config.js";

const modelTag = (persona: string) =>
  z.string().min(1).optional().describe(`Ollama model tag for ${persona} (default: the ${persona.toUpperCase()}_MODEL setting)`);

export const RunSettingsSchema = z.object({
  brickModel: modelTag("brick").describe("Ollama model tag for BRICK; must support tools (default: BRICK_MODEL)"),
  robinModel: modelTag("robin"),
  babsModel: modelTag("babs"),
  alfredModel: modelTag("alfred"),
  metacognition: z.boolean().optional().describe("Each persona first asks its model for a JSON plan (default: METACOG)"),
  maxToolRounds: z
    .number()
    .int()
    .min(1)
    .max(50)
    .optional()
    .describe("Tool-call rounds BRICK may make per user turn (default: MAX_TOOL_ROUNDS)"),
  maxForgesPerTurn: z
    .number()
    .int()
    .min(0)
    .max(10)
    .optional()
    .describe("Tools that may be forged per user turn (default: MAX_FORGES_PER_TURN)"),
  consent: z
    .enum(["ask", "explain"])
    .optional()
    .describe(
      'When a tool needs a host nobody granted: "ask" interrupts the run for a person\'s answer (resume with Command({ resume })); "explain" answers with what is asked and how to grant it (default: ask)',
    ),
});

export type RunSettingsInput = z.infer<typeof RunSettingsSchema>;

export interface RunSettings {
  models: Record<PersonaName, string>;
  metacognition: boolean;
  maxToolRounds: number;
  maxForgesPerTurn: number;
  consent: "ask" | "explain";
}

/** The upper bounds of the caps: the graph's recursion limit is derived from them. */
export const CAP_LIMITS = { maxToolRounds: 50, maxForgesPerTurn: 10 } as const;

/**
 * The settings for this run: `config.context` and `config.configurable` (context wins), validated,
 * over the configuration's defaults.
 */
export function resolveRunSettings(config: Config, runnable?: Pick<LangGraphRunnableConfig, "configurable" | "context">): RunSettings {
  const given = RunSettingsSchema.parse({ ...pick(runnable?.configurable), ...pick(runnable?.context) });
  return {
    models: {
      brick: given.brickModel ?? config.models.brick,
      robin: given.robinModel ?? config.models.robin,
      babs: given.babsModel ?? config.models.babs,
      alfred: given.alfredModel ?? config.models.alfred,
    },
    metacognition: given.metacognition ?? config.metacognition,
    maxToolRounds: given.maxToolRounds ?? config.maxToolRounds,
    maxForgesPerTurn: given.maxForgesPerTurn ?? config.maxForgesPerTurn,
    consent: given.consent ?? "ask",
  };
}

const KEYS = Object.keys(RunSettingsSchema.shape) as (keyof RunSettingsInput)[];

/** Only our keys (configurable also carries thread_id, checkpoint ids, …); unset values (undefined, null, "") dropped. */
function pick(source: unknown): Record<string, unknown> {
  if (!source || typeof source !== "object") return {};
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined && value !== null && value !== "") out[key] = value;
  }
  return out;
}
