/**
 * Built-in tools: trusted code that ships with ToolForge and runs in the server's process (never a
 * forged module). `find_tools` is one of them unless left out: it searches the whole library, and
 * what it finds is bound on BRICK's next call.
 */
import type { StructuredToolInterface } from "@langchain/core/tools";
import { libraryFields } from "../store/library-text.js";
import type { LibraryFields } from "../store/library-types.js";
import type { JsonObject, JsonValue } from "../store/types.js";
import { compileArgsSchema, type ArgsCheck } from "./args.js";
import { FIND_TOOLS, FIND_TOOLS_DESCRIPTION, FIND_TOOLS_SCHEMA, runFindTools } from "./find-tools.js";
import type { RegisteredTool, ToolMatch } from "./types.js";

/** A tool that ships with ToolForge and runs in the server's process (trusted code only). */
export interface BuiltinTool {
  name: string;
  description: string;
  schema: JsonObject;
  run(args: JsonObject): Promise<JsonValue>;
}

export const DEFAULT_FIND_TOOLS_LIMIT = 4;

export interface BuiltinEntry {
  origin: "builtin";
  tool: RegisteredTool;
  check: ArgsCheck;
  builtin: BuiltinTool;
  langChain: StructuredToolInterface | null;
  /** What a search matches it by (built-ins are not in the store's index). */
  fields: LibraryFields;
}

/**
 * The built-ins by name, find_tools added unless `findTools` is false; `search` is what find_tools
 * searches with (the registry's own search).
 */
export function builtinEntries(
  builtins: readonly BuiltinTool[],
  findTools: { limit: number } | false | undefined,
  search: (query: string, limit: number) => Promise<ToolMatch[]>,
): Map<string, BuiltinEntry> {
  const all = [...builtins];
  if (findTools !== false && !all.some((b) => b.name === FIND_TOOLS)) {
    const limit = findTools?.limit ?? DEFAULT_FIND_TOOLS_LIMIT;
    all.push({
      name: FIND_TOOLS,
      description: FIND_TOOLS_DESCRIPTION,
      schema: FIND_TOOLS_SCHEMA,
      run: (args) => runFindTools(args, search, limit),
    });
  }
  const entries = new Map<string, BuiltinEntry>();
  for (const builtin of all) {
    entries.set(builtin.name, {
      origin: "builtin",
      tool: {
        name: builtin.name,
        version: 1,
        description: builtin.description,
        schema: builtin.schema,
        origin: "builtin",
        hosts: [],
        uses: [],
      },
      check: compileArgsSchema(builtin.name, builtin.schema),
      builtin,
      langChain: null,
      fields: libraryFields({
        kind: "tool",
        name: builtin.name,
        objectId: null,
        version: 1,
        description: builtin.description,
        schema: builtin.schema,
        spec: null,
      }),
    });
  }
  return entries;
}
