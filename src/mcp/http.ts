/**
 * `/mcp`: the MCP face over Streamable HTTP (POST for messages, GET for the stream of
 * server-initiated notifications such as tools/list_changed, DELETE to end a session). Stateful:
 * each client that initializes gets a session id (`Mcp-Session-Id`) and its own MCP server.
 *
 * Mounted inside the app, so the API key (requireApiKey) already guards it; without a key the
 * server listens on loopback only (listen-policy) and answers loopback Host names only
 * (host-guard.ts, the MCP specification's defence against DNS rebinding, for every route), and
 * a page on another origin is refused (origin-guard.ts).
 *
 * Sessions are bounded (MCP_SESSION_LIMITS): each costs about 28 KB of heap (54 KB of RSS:
 * bench/mcp-sessions.ts), and a client that initializes and never comes back would otherwise
 * pile them up. At most `maxSessions` are open in all and `maxSessionsPerClient` for one client
 * (the same credentials from the same address); a new session past either is refused with a
 * JSON-RPC error that says what to do (429 or 503, with Retry-After). A session ends on DELETE, at
 * shutdown (through the Lifecycle), or after `idleMs` with no request and none in progress (a
 * notification stream or a forge_tool call still running keeps it).
 */
import { createHash, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { Router, type Request, type RequestHandler, type Response } from "express";
import type { Logger } from "pino";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { errorMessage } from "../errors.js";
import type { Runtime } from "../runtime.js";
import type { Lifecycle } from "../service/lifecycle.js";
import { mcpDepsFromRuntime } from "./deps.js";
import { McpFace, type McpDeps, type McpSession } from "./server.js";

export const MCP_PATH = "/mcp";

export interface McpSessionLimits {
  /** Sessions open at once, every client together. */
  maxSessions: number;
  /** Sessions open at once for one client: the same credentials (API key) from the same address. */
  maxSessionsPerClient: number;
  /** A session with no request for this long, and none in progress, is closed (milliseconds). */
  idleMs: number;
}

const MCP_SESSION_LIMITS: McpSessionLimits = { maxSessions: 64, maxSessionsPerClient: 16, idleMs: 5 * 60_000 };

export interface McpRouterOptions {
  runtime: Pick<Runtime, "registry" | "forge" | "store" | "bus" | "diagnostics">;
  logger: Logger;
  /** Ends the sessions at shutdown (their notification streams would keep connections open). */
  lifecycle?: Lifecycle;
  /** Overrides of the face's parts (tests: a shorter poll). */
  deps?: Partial<McpDeps>;
  /** Overrides of MCP_SESSION_LIMITS (tests: a short idle time, a small cap). */
  limits?: Partial<McpSessionLimits>;
}

interface HttpSession {
  /** Who opened it (clientOf). */
  client: string;
  transport: StreamableHTTPServerTransport;
  mcp: McpSession | null;
  lastSeen: number;
  /** Requests of this session still being answered (a notification stream, a tool call that runs). */
  active: number;
}

export function createMcpRouter(options: McpRouterOptions): Router {
  const { logger } = options;
  const limits: McpSessionLimits = { ...MCP_SESSION_LIMITS, ...options.limits };
  const sweepMs = Math.max(10, Math.min(30_000, Math.floor(limits.idleMs / 5)));
  const face = new McpFace({ ...mcpDepsFromRuntime(options.runtime), ...options.deps });
  /** Every session, those still initializing included (they count against the limits). */
  const open = new Set<HttpSession>();
  const sessions = new Map<string, HttpSession>();
  let sweeper: NodeJS.Timeout | undefined;

  const idleFor = (session: HttpSession, now: number) => (session.active === 0 ? now - session.lastSeen : 0);

  const sweep = () => {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (idleFor(session, now) > limits.idleMs) {
        logger.info({ component: "mcp", session: id }, "closing an idle MCP session");
        void session.mcp?.close();
      }
    }
  };

  const forget = (session: HttpSession) => {
    open.delete(session);
    if (session.transport.sessionId) sessions.delete(session.transport.sessionId);
    if (open.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  /** Seconds until one of `among` would be closed as idle (the soonest), for Retry-After. */
  const retryAfter = (among: HttpSession[]) => {
    const now = Date.now();
    const waits = among.filter((s) => s.active === 0).map((s) => limits.idleMs - idleFor(s, now));
    return Math.max(1, Math.ceil(Math.min(limits.idleMs, ...waits) / 1000));
  };

  /** The refusal of a new session past a limit, or null when it may open. */
  const refusal = (client: string): { status: number; seconds: number; message: string; code: string } | null => {
    const idle = `an idle session closes after ${formatDuration(limits.idleMs)}`;
    const mine = [...open].filter((s) => s.client === client);
    if (mine.length >= limits.maxSessionsPerClient) {
      return {
        status: 429,
        code: "mcp_sessions_per_client",
        seconds: retryAfter(mine),
        message:
          `this client already has ${mine.length} MCP sessions open, the most one client may hold: reuse one, or end those ` +
          `it no longer uses (DELETE /mcp with their Mcp-Session-Id header); ${idle}`,
      };
    }
    if (open.size >= limits.maxSessions) {
      const seconds = retryAfter([...open]);
      return {
        status: 503,
        code: "mcp_sessions_full",
        seconds,
        message:
          `the server holds ${open.size} MCP sessions, the most it keeps open: try again in ${seconds} s (${idle}), ` +
          "or end sessions you no longer use (DELETE /mcp with their Mcp-Session-Id header)",
      };
    }
    return null;
  };

  const start = async (req: Request, res: Response) => {
    const client = clientOf(req);
    const refused = refusal(client);
    if (refused) {
      res.setHeader("Retry-After", String(refused.seconds));
      return jsonRpcError(res, refused.status, -32000, refused.message, { code: refused.code, retry_after_s: refused.seconds });
    }
    // The session is registered when the transport assigns its id, before the initialize answer
    // leaves: the client's next request may come before handleRequest returns.
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, entry),
    });
    const entry: HttpSession = { client, transport, mcp: null, lastSeen: Date.now(), active: 0 };
    open.add(entry);
    if (!sweeper) {
      sweeper = setInterval(sweep, sweepMs);
      sweeper.unref();
    }
    let mcp: McpSession;
    try {
      mcp = await face.connect(transport);
    } catch (error) {
      forget(entry);
      throw error;
    }
    entry.mcp = mcp;
    const ended = new EventEmitter();
    options.lifecycle?.track({ end: () => void mcp.close() }, ended);
    void mcp.closed.then(() => {
      forget(entry);
      ended.emit("close");
    });
    try {
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      await mcp.close(); // frees its place under the limits
      throw error;
    }
    if (!transport.sessionId) {
      // The initialize request was refused (e.g. a bad protocol version): nothing to keep.
      await mcp.close();
      return;
    }
    logger.info({ component: "mcp", session: transport.sessionId, client: mcp.server.getClientVersion()?.name }, "MCP session opened");
  };

  const handle: RequestHandler = async (req, res) => {
    try {
      const id = req.get("mcp-session-id");
      if (id === undefined) {
        if (req.method === "POST" && isInitializeRequest(req.body)) return await start(req, res);
        return jsonRpcError(res, 400, -32000, "no Mcp-Session-Id header: start a session with an initialize request (POST /mcp)");
      }
      const session = sessions.get(id);
      if (!session) return jsonRpcError(res, 404, -32001, "Session not found: it ended or never existed; initialize a new one");
      session.lastSeen = Date.now();
      session.active += 1;
      res.once("close", () => {
        session.active -= 1;
        session.lastSeen = Date.now();
      });
      await session.transport.handleRequest(req, res, req.body);
    } catch (error) {
      logger.error({ component: "mcp", err: error, method: req.method }, "an MCP request failed");
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `internal error: ${errorMessage(error)}`);
      else res.end();
    }
  };

  const router = Router();
  router.post(MCP_PATH, handle);
  router.get(MCP_PATH, handle);
  router.delete(MCP_PATH, handle);
  return router;
}

/** Who a request comes from, for the per-client limit: its credentials (never kept as they are) and its address. */
function clientOf(req: Request): string {
  const credentials = createHash("sha256")
    .update(req.get("authorization") ?? "")
    .digest("hex")
    .slice(0, 16);
  return `${credentials}@${req.socket.remoteAddress ?? "unknown"}`;
}

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? "" : "s"}`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A JSON-RPC error with no request id (the request could not be read, or was refused before). */
export function jsonRpcErrorBody(code: number, message: string, data?: Record<string, unknown>) {
  return { jsonrpc: "2.0" as const, error: { code, message, ...(data ? { data } : {}) }, id: null };
}

function jsonRpcError(res: Response, status: number, code: number, message: string, data?: Record<string, unknown>): void {
  res.status(status).json(jsonRpcErrorBody(code, message, data));
}
