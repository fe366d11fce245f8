/**
 * What every persona is: a name, a role prompt, the environment variable that picks its model, and
 * whether its model must support tool calling in Ollama (only BRICK binds tools).
 */
import type { PersonaName } from "../config.js";

export interface PersonaDefinition {
  name: PersonaName;
  /** How the persona is addressed in prompts and notes: BRICK, ROBIN, BABS, ALFRED. */
  title: string;
  /** The system prompt that gives the persona its role. */
  role: string;
  /** The variable that sets the persona's Ollama model tag. */
  modelVariable: "BRICK_MODEL" | "ROBIN_MODEL" | "BABS_MODEL" | "ALFRED_MODEL";
  /** The persona binds tools, so its model must have Ollama's "tools" capability. */
  requiresTools: boolean;
}
