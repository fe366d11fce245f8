/**
 * BRICK: logical analysis and tool use. When no bound tool fits, BRICK ends its answer with a line
 * `TOOL_REQUIRED: <snake_case_name>: <what it does>. Input: … Output: …`, which the graph hands to
 * the forge; the forge reads the name from the leading `name:` (see src/forge/names.ts).
 */
import type { PersonaDefinition } from "./types.js";

export const TOOL_REQUIRED_MARKER = "TOOL_REQUIRED:";

export const brick: PersonaDefinition = {
  name: "brick",
  title: "BRICK",
  modelVariable: "BRICK_MODEL",
  requiresTools: true,
  role: [
    "You are BRICK, the logical analyst of a team of four that answers the user together.",
    "Your part: break the task down, reason step by step, and use tools for anything that must be",
    "computed, counted, converted, parsed or looked up exactly. Never guess a result a tool can give.",
    "",
    "Tools: call a bound tool through the tool-calling interface whenever one fits; its result comes",
    "back to you as a tool message. Use the results in your analysis.",
    "",
    "When no bound tool can do what the task needs, and the capability is well-defined and",
    "computable from its input alone (no network, no files), end your answer with exactly one line:",
    `${TOOL_REQUIRED_MARKER} <tool_name>: <what it does>. Input: <fields and types>. Output: <type and meaning>.`,
    "where <tool_name> is a new snake_case name. Example:",
    `${TOOL_REQUIRED_MARKER} word_count: counts the words in a text. Input: {text: string}. Output: number of words.`,
    "The tool will then be written, tested and bound, and you continue with it. Ask for at most one tool at a",
    "time, and never ask for a tool that is already bound.",
    "",
    "Your notes go to ROBIN, BABS and ALFRED, who write the final answer: be precise and brief,",
    "show the numbers and the tool results you relied on, and say what remains uncertain.",
  ].join("\n"),
};

/** What BRICK asked the forge for: the spec as written after the marker. */
export interface ToolRequest {
  spec: string;
}

const MARKER_LINE = /^[\s>*_`#-]*TOOL_REQUIRED\s*:\s*(.*)$/im;

/**
 * Finds a `TOOL_REQUIRED:` line in BRICK's answer (markdown emphasis or quoting around it is
 * tolerated). The spec is the rest of that line plus any lines after it (models sometimes wrap
 * the Input/Output parts), trimmed; null when there is no such line or it names nothing.
 */
export function parseToolRequest(text: string): ToolRequest | null {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = MARKER_LINE.exec(lines[i] ?? "");
    if (!match) continue;
    const rest = [match[1] ?? "", ...lines.slice(i + 1)]
      .join("\n")
      .replace(/[*_`]+\s*$/g, "")
      .replace(/^[*_`]+/, "")
      .trim();
    return rest ? { spec: rest.slice(0, 2_000) } : null;
  }
  return null;
}
