/**
 * What every persona is: a name, its part in the team, the cue that gives it the word, the
 * environment variable that picks its model, and whether its model must support tool calling in
 * Ollama (only BRICK calls tools).
 */
import type { PersonaName } from "../config.js";

export interface PersonaDefinition {
  name: PersonaName;
  /** How the persona is addressed in prompts and notes: BRICK, ROBIN, BABS, ALFRED. */
  title: string;
  /** Who the persona is, after its title: "the logical analyst". */
  summary: string;
  /** What the persona does, in the team's shared system prompt (./team.ts). */
  duties: string;
  /**
   * The instruction that gives the persona the word, appended to the conversation just before it
   * speaks (null for BRICK, who speaks first after each user message without one).
   */
  cue: string | null;
  /** The persona on its own, as a model's system prompt (genesis bakes it into a persona's model). */
  role: string;
  /** The variable that sets the persona's Ollama model tag. */
  modelVariable: "BRICK_MODEL" | "ROBIN_MODEL" | "BABS_MODEL" | "ALFRED_MODEL";
  /** The persona binds tools, so its model must have Ollama's "tools" capability. */
  requiresTools: boolean;
}

/** Who calls a model: a persona, or the forge (FORGE_MODEL). */
export type ModelUser = PersonaName | "forge";

/** A persona's standalone role: who it is in the team, and its duties. */
export function standaloneRole(title: string, summary: string, duties: string): string {
  return `You are ${title}, ${summary} of a team of four (BRICK, ROBIN, BABS, ALFRED) that answers the user together.\n${duties}`;
}
