/**
 * The headers of a tool's request and of the answer it gets. A tool may not set what the host owns
 * (Host, the connection's framing, proxies, compression) nor the header of its grant's credential;
 * the answer comes back without Set-Cookie and hop-by-hop headers.
 */
import type { IncomingMessage } from "node:http";
import { EgressRefusal } from "./types.js";

// Headers that route the request or frame the connection, and Accept-Encoding: the host asks for
// compression and decodes it itself, so the size limit counts the bytes the tool gets.
const HOST_OWNED = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "http2-settings",
  "accept-encoding",
]);

/** Headers an answer never passes on to the tool. */
const DROPPED_RESPONSE_HEADERS = new Set([
  "set-cookie",
  "set-cookie2",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "trailer",
  "upgrade",
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** A header name (lower case) the host sets itself, or one for proxies. */
export function isHostOwnedHeader(name: string): boolean {
  return HOST_OWNED.has(name) || name.startsWith("proxy-");
}

/** Why a header name (lower case) cannot be sent, or null. */
export function checkHeaderName(name: string): string | null {
  return TOKEN.test(name) ? null : "is not a valid header name";
}

/** Why a header value cannot be sent, or null; the reason never quotes the value. */
export function checkHeaderValue(value: string): string | null {
  return /[\r\n\0]/.test(value) ? "has a line break or NUL in its value" : null;
}

/**
 * The tool's headers, with lower-case names, checked: refused when one is malformed, owned by the
 * host, given twice, or is `credentialHeader` (the header of the credential its grant carries).
 */
export function toolHeaders(headers: unknown, credentialHeader: string | undefined): Map<string, string> {
  const checked = new Map<string, string>();
  if (headers === undefined || headers === null) return checked;
  if (typeof headers !== "object" || Array.isArray(headers)) {
    throw new EgressRefusal("invalid_request", "the request's headers must be an object of names to string values");
  }
  for (const [given, value] of Object.entries(headers)) {
    const name = given.toLowerCase();
    const refuse = (why: string) => new EgressRefusal("forbidden_header", `the header ${JSON.stringify(given)} ${why}`);
    const problem = checkHeaderName(name) ?? (typeof value === "string" ? checkHeaderValue(value) : "has a value that is not a string");
    if (problem !== null) throw refuse(problem);
    if (isHostOwnedHeader(name)) throw refuse("is set by the host, not by a tool: leave it out");
    if (name === credentialHeader) {
      throw refuse("is the header of the credential a person granted for this host: the host adds it itself; leave it out");
    }
    if (checked.has(name)) throw refuse("is given twice (names are case-insensitive)");
    checked.set(name, value as string);
  }
  return checked;
}

/** The headers of an answer for the tool: lower-case names, repeated ones joined, cookies and hop-by-hop headers left out. */
export function responseHeaders(response: IncomingMessage, decoded: boolean, redact: (text: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(response.headersDistinct)) {
    if (values === undefined || DROPPED_RESPONSE_HEADERS.has(name) || name.startsWith("proxy-")) continue;
    // A decoded body no longer has the encoding or the length the server sent.
    if (decoded && (name === "content-encoding" || name === "content-length")) continue;
    out[name] = redact(values.join(", "));
  }
  return out;
}
