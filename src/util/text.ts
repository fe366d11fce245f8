/** Short texts for people: a long text cut with an ellipsis, a JSON value as a one-line preview. */

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The characters a value preview keeps by default (a tool's result or arguments in progress lines and the calls table). */
export const PREVIEW_CHARS = 200;

/** A JSON value on one line, cut to `max` characters: a string as it is, anything else as JSON. */
export function previewValue(value: unknown, max = PREVIEW_CHARS): string {
  let text: string;
  if (typeof value === "string") text = value.trim() === "" ? JSON.stringify(value) : value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return truncate(text.replace(/\s+/g, " ").trim(), max);
}
