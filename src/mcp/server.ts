/**
 * ToolForge's MCP face: one `McpFace` per process, one MCP `Server` per connected client (stdio has
 * one; Streamable HTTP has one per session). `tools/list` is the live registry (with the library's
 * `find_tools`) plus `forge_tool`, in pages (`nextCursor`); `tools/call` goes through `registry.call` — the same path as
 * BRICK's calls: argument validation, then the sandbox. Every client hears
 * `notifications/tools/list_changed` when the list changes, here or in another process.
 *
 * The SDK's low-level `Server` is used on purpose: McpServer registers tools once with zod schemas,
 * while ToolForge's tools come and go at run time (from other processes too) with JSON Schemas.
 */
import type { Diagnostics } from "../diagnostics.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { PROJECT_ROOT } from "../config.js";
import { FORGE_TOOL_NAME, MAX_NAME_LENGTH, quotedName } from "../contract.js";
import { errorMessage } from "../errors.js";
import type { EventBus } from "../events.js";
import type { Forge } from "../forge/types.js";
import type { Store } from "../store/types.js";
import type { ToolCallOutcome, ToolRegistry } from "../tools/types.js";
import { runForgeTool } from "./forge-tool.js";
import { callAsking } from "./consent.js";
import { callResultOf } from "./results.js";
import { InvalidCursorError, listMcpToolsPage, mcpToolOrder, type McpToolOrder } from "./tools.js";
import { ToolListWatcher } from "./watch.js";

export interface McpDeps {
  registry: ToolRegistry;
  forge: Forge;
  store: Store;
  bus: EventBus;
  /** Where what goes wrong in the background is reported (the runtime's channel). */
  diagnostics: Diagnostics;
  /** How often the store's registry revision is read while clients are connected (default 1 s). */
  pollMs?: number | undefined;
  /** The most tools one tools/list page holds (default MCP_TOOLS_PAGE_SIZE). */
  pageSize?: number | undefined;
}

const SERVER_NAME = "toolforge";

const INSTRUCTIONS =
  "ToolForge's tools were written by a model, audited, and tested in a gVisor sandbox; every call runs in that sandbox. " +
  "When no listed tool does what you need, call forge_tool with a spec (what the tool must do, its input and output): " +
  "the new tool is listed as soon as it passes, and the tool list changes (notifications/tools/list_changed). " +
  "A failed call answers with isError and the reason (e.g. which argument is wrong): correct the call and try again.";

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** A call of a name longer than any tool's: answered without echoing all of it (it could be megabytes). */
function overlongName(name: string): ToolCallOutcome {
  return {
    ok: false,
    kind: "unknown_tool",
    error: `there is no tool named ${quotedName(name)}: tools/list lists the tools`,
    durationMs: 0,
  };
}

export interface McpSession {
  readonly server: Server;
  /** Resolves when the session is closed (by the client, the transport or `close()`). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export class McpFace {
  readonly watcher: ToolListWatcher;
  private readonly sessions = new Set<McpSession>();
  private readonly reported = new Set<string>();
  private readonly version = packageVersion();
  /** The tools/list order of the registry's tools at one revision: each page of 10,000 tools reads it, not the store. */
  private order: { revision: number; order: McpToolOrder } | null = null;

  constructor(private readonly deps: McpDeps) {
    this.watcher = new ToolListWatcher({
      store: deps.store,
      registry: deps.registry,
      bus: deps.bus,
      pollMs: deps.pollMs,
      diagnostics: deps.diagnostics,
    });
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** A new MCP server for one client, connected to `transport` (which it then owns). */
  async connect(transport: Transport): Promise<McpSession> {
    const server = this.createServer();
    let stopWatching: (() => void) | undefined;
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const session: McpSession = { server, closed, close: () => server.close() };
    server.oninitialized = () => {
      stopWatching ??= this.watcher.subscribe(() => {
        server.sendToolListChanged().catch((error: unknown) => {
          this.deps.diagnostics.warn("mcp", `an MCP client could not be told that the tools changed: ${errorMessage(error)}`);
        });
      });
    };
    server.onclose = () => {
      stopWatching?.();
      this.sessions.delete(session);
      markClosed();
    };
    server.onerror = (error) => this.deps.diagnostics.warn("mcp", `MCP: ${errorMessage(error)}`);
    this.sessions.add(session);
    await server.connect(transport);
    return session;
  }

  /** Closes every session (their transports end their streams). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.sessions].map((session) => session.close()));
  }

  private createServer(): Server {
    const { deps } = this;
    const server = new Server(
      { name: SERVER_NAME, title: "ToolForge", version: this.version },
      { capabilities: { tools: { listChanged: true } }, instructions: INSTRUCTIONS },
    );

    server.setRequestHandler(ListToolsRequestSchema, async (request) => {
      let page: ReturnType<typeof listMcpToolsPage>;
      try {
        page = listMcpToolsPage(await this.currentOrder(), {
          cursor: request.params?.cursor,
          ...(deps.pageSize !== undefined ? { pageSize: deps.pageSize } : {}),
        });
      } catch (error) {
        if (error instanceof InvalidCursorError) throw new McpError(ErrorCode.InvalidParams, error.message);
        throw error;
      }
      for (const problem of page.problems) this.reportOnce(problem);
      return { tools: page.tools, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    });

    server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
      const { name, arguments: args } = request.params;
      if (name === FORGE_TOOL_NAME) {
        const progressToken = extra._meta?.progressToken;
        return runForgeTool(deps, {
          args,
          signal: extra.signal,
          ...(progressToken !== undefined
            ? {
                progress: ({ progress, message }) =>
                  extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, message } }),
              }
            : {}),
        });
      }
      if (name.length > MAX_NAME_LENGTH) return callResultOf(overlongName(name));
      // The client's cancellation (or a closed session) stops the tool in the sandbox.
      return callResultOf(await callAsking(server, deps, name, args ?? {}, { signal: extra.signal }));
    });
    return server;
  }

  private async currentOrder(): Promise<McpToolOrder> {
    await this.deps.registry.refresh();
    const revision = this.deps.registry.revision;
    if (this.order?.revision !== revision) this.order = { revision, order: mcpToolOrder(await this.deps.registry.list()) };
    return this.order.order;
  }

  private reportOnce(problem: string): void {
    if (this.reported.has(problem)) return;
    this.reported.add(problem);
    this.deps.diagnostics.warn("mcp", problem);
  }
}
