/**
 * `teach_yourself_to_<skill>`: the selector that teaches a method instead of calling one.
 * The spec of what to learn comes from the message when it carries one (a string argument, or
 * `spec` / `description` in kwargs); otherwise the forge derives it from the skill's name.
 */
import { teachingSkill } from "../contract.js";
import { checkSpecLength } from "../forge/names.js";
import type { JsonObject, JsonValue } from "../store/types.js";

/** The skill a teaching selector names, or null when the selector is an ordinary one (src/contract.ts). */
export function taughtSkill(selector: string): string | null {
  return teachingSkill(selector);
}

/** What the teacher asked for, in words, or undefined to let the forge derive it from the selector. */
export function teachingSpec(skill: string, args: JsonValue[], kwargs: JsonObject): string | undefined {
  const fromKwargs = kwargs["spec"] ?? kwargs["description"];
  if (typeof fromKwargs === "string" && fromKwargs.trim() !== "") return withSkill(skill, fromKwargs.trim());
  const texts = args.filter((a): a is string => typeof a === "string" && a.trim() !== "");
  if (texts.length > 0) return withSkill(skill, texts.join(" ").trim());
  return undefined;
}

function withSkill(skill: string, text: string): string {
  return `a method named ${skill}: ${text}`;
}

/**
 * Refuses a teaching message whose spec the forge would not take (too long), before the message is
 * recorded: an InvalidInputError the sender gets at once (400 over HTTP), not a message that fails later.
 */
export function checkTeaching(selector: string, args: JsonValue[], kwargs: JsonObject): void {
  const skill = taughtSkill(selector);
  const spec = skill === null ? undefined : teachingSpec(skill, args, kwargs);
  if (spec !== undefined) checkSpecLength(spec);
}
