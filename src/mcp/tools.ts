/**
 * What an MCP client sees in `tools/list`: every tool of the live registry (name, description, its
 * JSON Schema as the input schema; the library's built-in `find_tools` among them), plus ToolForge's
 * own MCP tool `forge_tool`, in pages of MCP_TOOLS_PAGE_SIZE (cursor pagination, as the MCP
 * specification's "Pagination" utility describes).
 */
import { ToolSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { FORGE_TOOL_NAME, MAX_SPEC_CHARS } from "../contract.js";
import type { RegisteredTool } from "../tools/types.js";

/** `_meta` keys on listed tools: the registry version, where the tool runs, the hosts it reaches and the tools it uses. */
const META_VERSION = "toolforge/version";
const META_ORIGIN = "toolforge/origin";
const META_HOSTS = "toolforge/hosts";
const META_USES = "toolforge/uses";

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
        maxLength: MAX_SPEC_CHARS,
        description:
          "What the tool must do: its input, its output and an example, e.g. 'word_count: counts the words in a text. " +
          `Input: {text: string}. Output: number.' Starting with a snake_case name asks for that name. At most ${MAX_SPEC_CHARS} characters.`,
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
function mcpToolOf(tool: RegisteredTool): { ok: true; tool: Tool } | { ok: false; problem: string } {
  const candidate: Tool = {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.schema as Tool["inputSchema"],
    // A forged tool runs in a gVisor sandbox with no network and a read-only root; it reaches the
    // world only through the hosts it declares, once a person granted them (then it is "open
    // world", and a request it makes may change something there). Built-in tools promise nothing.
    ...(tool.origin === "forged"
      ? { annotations: tool.hosts.length > 0 ? { readOnlyHint: false, openWorldHint: true } : { readOnlyHint: true, openWorldHint: false } }
      : {}),
    _meta: {
      [META_VERSION]: tool.version,
      [META_ORIGIN]: tool.origin,
      ...(tool.hosts.length ? { [META_HOSTS]: tool.hosts } : {}),
      ...(tool.uses.length ? { [META_USES]: tool.uses.map((pin) => `${pin.name}@${pin.version}`) } : {}),
    },
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

/**
 * How many tools one `tools/list` page holds at most. A library of that many fits one page (what
 * most clients read); 10,000 tools take 20 pages of a few hundred kilobytes each.
 */
export const MCP_TOOLS_PAGE_SIZE = 500;

/** The order of `tools/list`: ToolForge's own tools, then built-ins (find_tools), then forged tools, each by name. */
type ListKey = readonly [group: number, name: string];

const OWN_GROUP = 0;
const groupOf = (tool: RegisteredTool) => (tool.origin === "builtin" ? 1 : 2);
const before = (a: ListKey, b: ListKey) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** A `tools/list` cursor that is not one this server gave out (answered with JSON-RPC invalid params). */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`not a tools/list cursor of this server: ${JSON.stringify(cursor.slice(0, 80))}; list again without a cursor`);
    this.name = "InvalidCursorError";
  }
}

/**
 * The opaque cursor: the last listed tool's place in the order. The next page starts after it, so
 * a page never repeats a tool even when tools are installed or removed between pages (a client
 * hears tools/list_changed for those).
 */
function encodeCursor(key: ListKey): string {
  return Buffer.from(JSON.stringify({ after: key }), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): ListKey {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown };
    const after = parsed.after;
    if (Array.isArray(after) && after.length === 2 && Number.isInteger(after[0]) && typeof after[1] === "string") {
      return [after[0] as number, after[1]];
    }
  } catch {
    // not base64url JSON: refused below
  }
  throw new InvalidCursorError(cursor);
}

/** The index of the first entry that comes after `key` (entries are in order). */
function firstAfter(entries: McpToolOrder["entries"], key: ListKey): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(key, entries[middle]!.key)) high = middle;
    else low = middle + 1;
  }
  return low;
}

export interface ToolPage extends ToolListing {
  /** Where the next page starts; absent on the last page. */
  nextCursor?: string;
}

const OWN_TOOLS: readonly Tool[] = [FORGE_TOOL];
const RESERVED = new Set(OWN_TOOLS.map((tool) => tool.name));

/**
 * The registry's tools and ToolForge's own in the order of `tools/list`, each already mapped to its
 * MCP tool or to the reason it cannot be listed (computed once per registry revision).
 */
export interface McpToolOrder {
  readonly entries: readonly OrderEntry[];
}

type OrderEntry = { readonly key: ListKey; readonly tool: Tool } | { readonly key: ListKey; readonly problem: string };

/** A registry tool as `tools/list` carries it, or why it is left out. */
function orderEntryOf(tool: RegisteredTool): OrderEntry {
  const key = [groupOf(tool), tool.name] as const;
  if (RESERVED.has(tool.name)) {
    return { key, problem: `${tool.name} v${tool.version} is not listed over MCP: ToolForge's own ${tool.name} has that name` };
  }
  const mapped = mcpToolOf(tool);
  return mapped.ok ? { key, tool: mapped.tool } : { key, problem: mapped.problem };
}

export function mcpToolOrder(registered: readonly RegisteredTool[]): McpToolOrder {
  const entries: OrderEntry[] = [
    ...OWN_TOOLS.map((tool) => ({ key: [OWN_GROUP, tool.name] as const, tool })),
    ...registered.map(orderEntryOf),
  ];
  entries.sort((a, b) => (before(a.key, b.key) ? -1 : before(b.key, a.key) ? 1 : 0));
  return { entries };
}

/**
 * One page of `tools/list`: at most `pageSize` tools after `cursor` (from the start without one),
 * in the order above. Tools MCP cannot carry are left out (with their problem) without taking a
 * place on the page.
 */
export function listMcpToolsPage(order: McpToolOrder, options: { cursor?: string | undefined; pageSize?: number } = {}): ToolPage {
  const pageSize = options.pageSize ?? MCP_TOOLS_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`a tools/list page holds 1 tool or more, not ${pageSize}`);
  const after = options.cursor === undefined ? null : decodeCursor(options.cursor);
  const { entries } = order;

  const tools: Tool[] = [];
  const problems: string[] = [];
  let last: ListKey | null = null;
  let index = after ? firstAfter(entries, after) : 0;
  for (; index < entries.length && tools.length < pageSize; index++) {
    const entry = entries[index]!;
    last = entry.key;
    if ("tool" in entry) tools.push(entry.tool);
    else problems.push(entry.problem);
  }
  return { tools, problems, ...(index < entries.length && last ? { nextCursor: encodeCursor(last) } : {}) };
}
