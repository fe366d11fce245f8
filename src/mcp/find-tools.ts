/**
 * `find_tools` over MCP, when a search over the library is given (issue 13's store or registry
 * search) and the registry does not already hold a `find_tools` tool of its own. The answer is the
 * matches' names and one-line descriptions, best first.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { errorMessage } from "../errors.js";
import { compileArgsSchema } from "../tools/args.js";
import { callResultOf, errorResult, jsonResult } from "./results.js";
import { FIND_TOOLS, FIND_TOOLS_NAME } from "./tools.js";

export interface ToolMatch {
  name: string;
  description: string;
  /** The engine's relevance score, when it has one (higher is better). */
  score?: number;
}

/** A search over the installed tools: the best `limit` matches for `query`, best first. */
export type ToolSearch = (query: string, limit: number) => Promise<ToolMatch[]>;

export const DEFAULT_FIND_LIMIT = 8;

const checkArgs = compileArgsSchema(FIND_TOOLS_NAME, FIND_TOOLS.inputSchema);

export async function runFindTools(search: ToolSearch, args: unknown): Promise<CallToolResult> {
  const checked = checkArgs(args ?? {});
  if (!checked.ok) return callResultOf({ ok: false, kind: "invalid_arguments", error: checked.message, durationMs: 0 });
  const { query, limit } = args as { query: string; limit?: number };
  let matches: ToolMatch[];
  try {
    matches = await search(query, limit ?? DEFAULT_FIND_LIMIT);
  } catch (error) {
    return errorResult(`ERROR (search): the library could not be searched: ${errorMessage(error)}`);
  }
  const text =
    matches.length === 0
      ? `no installed tool matches ${JSON.stringify(query)}; forge_tool can forge one`
      : matches.map((match) => `${match.name}: ${firstLine(match.description)}`).join("\n");
  const tools = matches.map((match) => ({
    name: match.name,
    description: firstLine(match.description),
    ...(match.score !== undefined ? { score: match.score } : {}),
  }));
  return jsonResult({ tools }, text);
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}
