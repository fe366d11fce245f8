/**
 * `toolforge mcp`: the tool registry as an MCP server over stdio, for MCP clients that start it
 * themselves (Claude Desktop, Claude Code, Cursor, VS Code; see docs/mcp.md). stdout carries only
 * the protocol; logs go to stderr. A running `toolforge serve` offers the same at /mcp over HTTP.
 */
import type { Command } from "commander";
import { loadConfig } from "../../config.js";

export function register(program: Command): void {
  program
    .command("mcp")
    .description("serve the forged tools (and forge_tool) to an MCP client over stdio; the HTTP server has the same at /mcp")
    .action(async () => {
      const config = loadConfig();
      // Loaded here, so that `--help` and the other commands do not load the sandbox and the SDK.
      const { serveMcpOverStdio } = await import("../../mcp/stdio.js");
      await serveMcpOverStdio(config);
      // The session is over and the runtime closed: do not wait for idle sockets (Docker's agent).
      process.exit(process.exitCode ?? 0);
    });
}
