import { NotFoundError } from "../errors.js";

/** The one refusal of a tool name the library does not hold (HTTP 404, the CLI's message). */
export function noSuchTool(name: string): NotFoundError {
  return new NotFoundError(`no tool named "${name}"`, "GET /tools (or `toolforge tools list`) lists the tools that exist");
}
