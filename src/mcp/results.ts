/**
 * From ToolForge's outcomes to MCP `tools/call` results. A result is text (a string as is, any
 * other JSON value serialised) plus `structuredContent` when it is a JSON object. Every failure —
 * unknown tool, bad arguments, the tool threw, timeout, memory, sandbox, a busy sandbox ("retry in
 * about N s", with `retry_after_seconds`) — is a result with `isError: true` and the reason as the
 * model reads it in BRICK's tool messages, so an MCP client's model can correct itself (or wait and
 * retry) exactly as BRICK does.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { isJsonObject } from "../objects/invoke.js";
import type { JsonObject, JsonValue } from "../store/types.js";
import { outcomeText } from "../tools/outcome.js";
import type { ToolCallOutcome } from "../tools/types.js";

export function jsonResult(value: JsonValue, text = typeof value === "string" ? value : JSON.stringify(value)): CallToolResult {
  return { content: [{ type: "text", text }], ...(isJsonObject(value) ? { structuredContent: value } : {}) };
}

export function errorResult(text: string, structured?: JsonObject): CallToolResult {
  return { isError: true, content: [{ type: "text", text }], ...(structured ? { structuredContent: structured } : {}) };
}

export function callResultOf(outcome: ToolCallOutcome): CallToolResult {
  if (outcome.ok) return jsonResult(outcome.result);
  const retry = outcome.retryAfterSeconds !== undefined ? { retry_after_seconds: outcome.retryAfterSeconds } : undefined;
  return errorResult(outcomeText(outcome), retry && { error: outcome.kind, ...retry });
}
