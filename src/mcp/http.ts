/**
 * `/mcp`: the MCP face over Streamable HTTP (POST for messages, GET for the stream of
 * server-initiated notifications such as tools/list_changed, DELETE to end a session). Stateful:
 * each client that initializes gets a session id (`Mcp-Session-Id`) and its own MCP server.
 *
 * Mounted inside the app, so the API key (requireApiKey) already guards it; without a key the
 * server listens on loopback only (listen-policy) and answers loopback Host names only
 * (host-guard.ts, the MCP specification's defence against DNS rebinding, for every route).
 * Sessions end on DELETE, at shutdown (through the Lifecycle), or after SESSION_IDLE_MS without a
 * request while no notification stream is open.
 */
import { randomUUID } from "node:crypto";
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

const MCP_PATH = "/mcp";
/** A session with no request for this long, and no open notification stream, is closed. */
const SESSION_IDLE_MS = 30 * 60_000;
const SWEEP_MS = 60_000;

export interface McpRouterOptions {
  runtime: Pick<Runtime, "registry" | "forge" | "store" | "bus" | "diagnostics">;
  logger: Logger;
  /** Ends the sessions at shutdown (their notification streams would keep connections open). */
  lifecycle?: Lifecycle;
  /** Overrides of the face's parts (tests: a shorter poll). */
  deps?: Partial<McpDeps>;
}

interface HttpSession {
  transport: StreamableHTTPServerTransport;
  mcp: McpSession;
  lastSeen: number;
  openStreams: number;
}

export function createMcpRouter(options: McpRouterOptions): Router {
  const { logger } = options;
  const face = new McpFace({ ...mcpDepsFromRuntime(options.runtime), ...options.deps });
  const sessions = new Map<string, HttpSession>();
  let sweeper: NodeJS.Timeout | undefined;

  const sweep = () => {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (session.openStreams === 0 && now - session.lastSeen > SESSION_IDLE_MS) {
        logger.info({ component: "mcp", session: id }, "closing an idle MCP session");
        void session.mcp.close();
      }
    }
  };

  const open = async (req: Request, res: Response) => {
    // The session is registered when the transport assigns its id, before the initialize answer
    // leaves: the client's next request may come before handleRequest returns.
    // eslint-disable-next-line prefer-const -- assigned below, read by the callback (a const would be in its TDZ there)
    let entry: HttpSession | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        if (!entry) return;
        sessions.set(id, entry);
        if (!sweeper) {
          sweeper = setInterval(sweep, SWEEP_MS);
          sweeper.unref();
        }
      },
    });
    const mcp = await face.connect(transport);
    entry = { transport, mcp, lastSeen: Date.now(), openStreams: 0 };
    const ended = new EventEmitter();
    options.lifecycle?.track({ end: () => void mcp.close() }, ended);
    void mcp.closed.then(() => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      ended.emit("close");
      if (sessions.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    });
    await transport.handleRequest(req, res, req.body);
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
        if (req.method === "POST" && isInitializeRequest(req.body)) return await open(req, res);
        return jsonRpcError(res, 400, -32000, "no Mcp-Session-Id header: start a session with an initialize request (POST /mcp)");
      }
      const session = sessions.get(id);
      if (!session) return jsonRpcError(res, 404, -32001, "Session not found: it ended or never existed; initialize a new one");
      session.lastSeen = Date.now();
      if (req.method === "GET") {
        session.openStreams += 1;
        res.once("close", () => {
          session.openStreams -= 1;
          session.lastSeen = Date.now();
        });
      }
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

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: "2.0", error: { code, message }, id: null });
}
