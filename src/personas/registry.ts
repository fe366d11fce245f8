/** The four personas by name, in the order they speak. */
import type { PersonaName } from "../config.js";
import { alfred } from "./alfred.js";
import { babs } from "./babs.js";
import { brick } from "./brick.js";
import { robin } from "./robin.js";
import type { PersonaDefinition } from "./types.js";

export const PERSONAS: Record<PersonaName, PersonaDefinition> = { brick, robin, babs, alfred };

/** Speaking order: BRICK analyses, ROBIN adds the human view, BABS checks, ALFRED answers. */
export const PERSONA_ORDER: readonly PersonaName[] = ["brick", "robin", "babs", "alfred"];
