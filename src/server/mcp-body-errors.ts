/**
 * /mcp speaks JSON-RPC, and an MCP client reads a JSON-RPC error where the rest of the server
 * answers with its own error shape. A body the app refuses before the MCP router sees it (over the
 * size limit, nested too deep, not JSON, a `__proto__` key, not application/json) is therefore
 * answered on /mcp as a JSON-RPC error, with the same HTTP status and ToolForge's code and hint in
 * `data`. The API key, Host and Origin refusals keep the server's shape (an MCP client reads their
 * HTTP status: 401 with WWW-Authenticate, 403).
 */
import type { ErrorRequestHandler } from "express";
import { MCP_PATH, jsonRpcErrorBody } from "../mcp/http.js";
import { errorBody, toHttpError, type ErrorContext } from "./errors.js";

/** ToolForge's codes for a request body it would not read. */
const BODY_REFUSALS: ReadonlySet<string> = new Set([
  "invalid_json",
  "invalid_body",
  "body_too_large",
  "body_too_deep",
  "forbidden_key",
  "unsupported_media_type",
]);

/** JSON-RPC's "Parse error" for text that is not JSON; "Invalid Request" for a body refused whole. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

export function mcpBodyErrors(context: ErrorContext): ErrorRequestHandler {
  return (error, req, res, next) => {
    const refused = req.path === MCP_PATH ? toHttpError(error, context) : null;
    if (!refused || !BODY_REFUSALS.has(refused.code) || res.headersSent) return next(error);
    const { message } = errorBody(refused).error;
    const code = refused.code === "invalid_json" ? PARSE_ERROR : INVALID_REQUEST;
    res.status(refused.status).json(jsonRpcErrorBody(code, message, { code: refused.code }));
  };
}
