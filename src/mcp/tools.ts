/**
 * What an MCP client sees in `tools/list`: every tool of the live registry (name, description, its
 * JSON Schema as the input schema; the library's built-in `find_tools` among them), plus ToolForge's
 * own MCP tool `forge_tool`.
 */
import { ToolSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { RegisteredTool } from "../tools/types.js";

export const FORGE_TOOL_NAME = "forge_tool";

/** `_meta` keys on listed tools: the registry version and where the tool runs. */
export const META_VERSION = "toolforge/version";
export const META_ORIGIN = "toolforge/origin";

export const FORGE_TOOL: Tool = {
  name: FORGE_TOOL_NAME,
  title: "Forge a new tool",
  description:
    "Asks ToolForge to write a new tool: a model writes a TypeScript module with its own tests, the module is audited, " +
    "its tests run in a gVisor sandbox, and only then is it installed and listed (every call of it runs in the sandbox). " +
    "Use it when no listed tool does what you need. Returns the installed tool's name and input schema, or why the forge " +
    "refused (audit rule and line, failing test). An existing tool of the requested name is reused unless `improve` is true.",
  inputSchema: {
    type: "object",
    properties: {
      spec: {
        type: "string",
        description:
          "What the tool must do: its input, its output and an example, e.g. 'word_count: counts the words in a text. " +
          "Input: {text: string}. Output: number.' Starting with a snake_case name asks for that name.",
      },
      name: {
        type: "string",
        description: "The snake_case name the tool must have (optional; else taken from the spec or chosen by the forge).",
      },
      improve: { type: "boolean", description: "Forge a new version of the existing tool of this name instead of reusing it." },
    },
    required: ["spec"],
    additionalProperties: false,
  },
  annotations: { title: "Forge a new tool", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
};

/** The registry's tool as an MCP tool, or the reason it cannot be one (a schema MCP does not accept). */
export function mcpToolOf(tool: RegisteredTool): { ok: true; tool: Tool } | { ok: false; problem: string } {
  const candidate: Tool = {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.schema as Tool["inputSchema"],
    // A forged tool runs in a gVisor sandbox with no network and a read-only root: it cannot
    // change anything outside itself. Built-in tools make no such promise.
    ...(tool.origin === "forged" ? { annotations: { readOnlyHint: true, openWorldHint: false } } : {}),
    _meta: { [META_VERSION]: tool.version, [META_ORIGIN]: tool.origin },
  };
  // One malformed entry would make a client refuse the whole list: check each with the SDK's own schema.
  const parsed = ToolSchema.safeParse(candidate);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.join(".") || "the tool";
    return { ok: false, problem: `${tool.name} v${tool.version} is not listed over MCP: ${where}: ${first?.message ?? "invalid"}` };
  }
  return { ok: true, tool: candidate };
}

export interface ToolListing {
  tools: Tool[];
  /** Registry tools left out, and why (reported once per problem by the caller). */
  problems: string[];
}

/** The full `tools/list` answer from the registry's tools. */
export function listMcpTools(registered: readonly RegisteredTool[]): ToolListing {
  const own = [FORGE_TOOL];
  const reserved = new Set(own.map((tool) => tool.name));
  const tools: Tool[] = [];
  const problems: string[] = [];
  for (const entry of registered) {
    if (reserved.has(entry.name)) {
      problems.push(`${entry.name} v${entry.version} is not listed over MCP: ToolForge's own ${entry.name} has that name`);
      continue;
    }
    const mapped = mcpToolOf(entry);
    if (mapped.ok) tools.push(mapped.tool);
    else problems.push(mapped.problem);
  }
  return { tools: [...own, ...tools], problems };
}
