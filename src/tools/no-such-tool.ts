import { quotedName } from "../contract.js";
import { NotFoundError } from "../errors.js";
import { FIND_TOOLS } from "./find-tools.js";
import type { ToolMatch } from "./types.js";

/** The one refusal of a tool name the library does not hold (HTTP 404, the CLI's message). */
export function noSuchTool(name: string): NotFoundError {
  return new NotFoundError(`no tool named ${quotedName(name)}`, "GET /tools (or `toolforge tools list`) lists the tools that exist");
}

/** What a call of a name the library does not hold is told: the closest tools, not all of them (there may be thousands). */
export async function unknownToolMessage(
  name: string,
  search: (query: string) => Promise<ToolMatch[]>,
  findTools: boolean,
): Promise<string> {
  const close = (await search(name).catch(() => [] as ToolMatch[])).map((m) => m.name).filter((n) => n !== FIND_TOOLS);
  const hint = findTools ? `; ${FIND_TOOLS} searches the library` : "";
  return `there is no tool named ${quotedName(name)}${close.length ? ` (closest: ${close.join(", ")})` : ""}${hint}`;
}
