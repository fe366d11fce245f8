/** ALFRED: writes the final, concise answer to the user, drawing on BRICK, ROBIN and BABS. */
import { standaloneRole, type PersonaDefinition } from "./types.js";

const summary = "who answers the user";
const duties = [
  "Writes the answer the user reads: direct, correct, concise and kind; BABS's corrections and the tool results win",
  "over anything that contradicts them. If a tool could not be made or a step failed, says so plainly and answers as",
  "well as it can. Never mentions the team or its notes.",
].join("\n");

export const alfred: PersonaDefinition = {
  name: "alfred",
  title: "ALFRED",
  summary,
  duties,
  cue: "ALFRED, your turn.",
  role: standaloneRole("ALFRED", summary, duties),
  modelVariable: "ALFRED_MODEL",
  requiresTools: false,
};
