/**
 * `find_tools`: the built-in tool that lets BRICK look through the whole library when none of the
 * few tools bound for this call fits. It answers with names and one-line descriptions; the tool
 * selection (./selection.ts) reads that answer from the conversation and binds those tools on
 * BRICK's next call.
 */
import { FIND_TOOLS_NAME } from "../contract.js";
import type { JsonObject, JsonValue } from "../store/types.js";
import type { ToolMatch } from "./types.js";

export const FIND_TOOLS = FIND_TOOLS_NAME;

/** The JSON a find_tools call answers with (what the selection parses back). */
export interface FindToolsResult {
  tools: { name: string; description: string }[];
  note: string;
}

export const FIND_TOOLS_DESCRIPTION =
  "Searches the whole tool library for tools that can do a task; the tools it finds are bound on your next call. " +
  "Use it when none of the bound tools fits, before asking for a new tool.";

export const FIND_TOOLS_SCHEMA: JsonObject = {
  type: "object",
  properties: { query: { type: "string", description: "what the tool must do, in a few words (e.g. 'convert celsius to fahrenheit')" } },
  required: ["query"],
  additionalProperties: false,
};

export function firstLine(text: string, max = 120): string {
  const line =
    text
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Runs a find_tools call: `search` is the registry's, `limit` how many the next call will bind. */
export async function runFindTools(
  args: JsonObject,
  search: (query: string, limit: number) => Promise<ToolMatch[]>,
  limit: number,
): Promise<JsonValue> {
  const query = typeof args["query"] === "string" ? args["query"] : "";
  const matches = (await search(query, limit + 1)).filter((m) => m.name !== FIND_TOOLS).slice(0, limit);
  const result: FindToolsResult = {
    tools: matches.map((m) => ({ name: m.name, description: firstLine(m.description) })),
    note:
      matches.length > 0
        ? "These tools are bound on your next call: call the one that fits."
        : "No tool in the library matches: if the task needs one, ask for it with TOOL_REQUIRED.",
  };
  return result as unknown as JsonValue;
}

/** The tool names of a find_tools answer (a ToolMessage's text); [] when it is not one. */
export function namesFromFindTools(content: string): string[] {
  try {
    const parsed = JSON.parse(content) as Partial<FindToolsResult>;
    if (!Array.isArray(parsed.tools)) return [];
    return parsed.tools.map((t) => (typeof t?.name === "string" ? t.name : "")).filter(Boolean);
  } catch {
    return [];
  }
}
