/**
 * The team's one system prompt, shared by all four personas (and every call of theirs), and the
 * cue that gives a persona the word. A turn reads as one growing transcript — the conversation,
 * then BRICK's work, then a cue and a note for each persona in turn — so consecutive model calls
 * send the same prompt plus what was added since: Ollama evaluates only that (its prompt cache
 * holds the rest). Nothing in here changes from call to call; what does (notices, a guard that was
 * reached) goes at the end of the transcript.
 */
import { PERSONA_ORDER, PERSONAS } from "./registry.js";
import type { PersonaDefinition } from "./types.js";

/** The `name` of a cue: the message that gives a persona the word (or tells it what changed). */
export const CUE_NAME = "team_cue";

export const TEAM_PROMPT = [
  "You are a team of four answering the user together, taking turns in this conversation: after each user message",
  "BRICK (again after each tool result or forge note), then ROBIN, BABS and ALFRED, when a cue gives them the word.",
  "Only ALFRED's answer reaches the user; the others write short notes for the team. Only BRICK calls tools. Speak",
  "only as the member whose turn it is, without writing your name first.",
  "",
  ...PERSONA_ORDER.map((name) => `${PERSONAS[name].title}, ${PERSONAS[name].summary}: ${PERSONAS[name].duties}`).flatMap((p) => [p, ""]),
]
  .join("\n")
  .trim();

/** The cue for a persona, with what the team should know that happened since the last cue. */
export function cueText(persona: PersonaDefinition, notices: readonly string[] = []): string {
  const cue = persona.cue ?? `${persona.title}, your turn.`;
  return notices.length ? `${cue}\nNotices: ${notices.join(" ")}` : cue;
}
