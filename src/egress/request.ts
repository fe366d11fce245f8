/**
 * `performRequest`: a tool's outside request, checked against the grants a person gave and made by
 * the host. Each hop (the request, then every redirect, followed by hand) must fall under a grant
 * and reach only addresses that grant allows, checked before the request and again at connect
 * time. The grant's credential is added to requests to its own host only. The whole request, with
 * its redirects, ends by the call's deadline, and neither side may be larger than its limit.
 * Every outcome, refusals included, comes back as a value with a record for the event log.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { truncate } from "../util/text.js";
import { ACCEPT_ENCODING, encodeBody, readBody } from "./body.js";
import { bareHostname, grantFor, hostLabel, parseGrants, type ParsedGrant } from "./grants.js";
import { responseHeaders, toolHeaders } from "./headers.js";
import { redactorFor, type Redactor } from "./redact.js";
import { checkedConnectLookup, resolveAllowed, systemLookup } from "./resolve.js";
import {
  EGRESS_METHODS,
  EgressPolicyError,
  EgressRefusal,
  type EgressPolicy,
  type EgressRecord,
  type Lookup,
  type OutboundRequest,
  type OutboundResult,
} from "./types.js";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers a redirect to another origin does not carry on (as fetch does). */
const ORIGIN_BOUND_HEADERS = ["authorization", "cookie"];

interface Hop {
  url: URL;
  method: string;
  headers: Map<string, string>;
  body: string | null;
}

/** Makes a tool's request if the policy allows it; never throws for the request's sake (only for an unusable policy). */
export async function performRequest(request: OutboundRequest, policy: EgressPolicy): Promise<OutboundResult> {
  checkLimits(policy);
  const grants = parseGrants(policy.grants);
  const redactor = redactorFor(policy.grants);
  const started = performance.now();
  const method = typeof request.method === "string" ? truncate(request.method.toUpperCase(), 24) : "GET";
  const record: EgressRecord = {
    host: "(no valid url)",
    method,
    status: null,
    bytes: 0,
    durationMs: 0,
    redirects: 0,
    refused: null,
    code: null,
  };
  const finish = () => ({ ...record, durationMs: Math.round((performance.now() - started) * 100) / 100 });

  const controller = new AbortController();
  const remaining = policy.deadline - Date.now();
  const timer = setTimeout(() => controller.abort(), Math.max(0, remaining));
  try {
    const url = parseUrl(request.url, "the request's url");
    record.host = hostLabel(url);
    const first = firstHop(request, url, method, grants, policy);
    if (remaining <= 0) throw deadlineRefusal(record.host);
    const response = await follow(first, grants, policy, redactor, controller.signal, record);
    return { ok: true, response, record: finish() };
  } catch (error) {
    if (error instanceof EgressPolicyError) throw error;
    const refusal = asRefusal(error, controller.signal.aborted, record.host);
    record.refused = redactor.text(refusal.message);
    record.code = refusal.code;
    return { ok: false, refused: record.refused, code: refusal.code, record: finish() };
  } finally {
    clearTimeout(timer);
  }
}

function checkLimits(policy: EgressPolicy): void {
  for (const key of ["maxResponseBytes", "maxRequestBytes", "maxRedirects", "deadline"] as const) {
    const value = policy[key];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new EgressPolicyError(
        `the egress policy's ${key} is ${String(value)}`,
        "give a whole number of at least 0 (see DEFAULT_MAX_* in src/egress)",
      );
    }
  }
}

/** The request as the tool gave it, checked: URL, method, headers, body, size. */
function firstHop(request: OutboundRequest, url: URL, method: string, grants: readonly ParsedGrant[], policy: EgressPolicy): Hop {
  if (!(EGRESS_METHODS as readonly string[]).includes(method)) {
    throw new EgressRefusal(
      "invalid_request",
      `the method ${JSON.stringify(request.method)} is refused: use one of ${EGRESS_METHODS.join(", ")}`,
    );
  }
  const body = request.body ?? null;
  if (body !== null && typeof body !== "string")
    throw new EgressRefusal("invalid_request", "the request's body must be a string (or null)");
  if (body !== null && (method === "GET" || method === "HEAD")) {
    throw new EgressRefusal("invalid_request", `a ${method} request has no body: use POST, PUT or PATCH to send one`);
  }
  const grant = grantFor(url, grants);
  const headers = toolHeaders(request.headers, grant.grant.credential?.header.toLowerCase());
  const size =
    Buffer.byteLength(url.href) +
    [...headers].reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value) + 4, 0) +
    (body === null ? 0 : Buffer.byteLength(body));
  if (size > policy.maxRequestBytes) {
    throw new EgressRefusal(
      "request_too_large",
      `the request to ${hostLabel(url)} is ${size} bytes (URL, headers and body), over the limit of ${policy.maxRequestBytes}: send less`,
    );
  }
  if (body !== null && !headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
  return { url, method, headers, body };
}

/** Sends `hop`, and every redirect after it, until an answer that is not a redirect; reads its body. */
async function follow(
  hop: Hop,
  grants: readonly ParsedGrant[],
  policy: EgressPolicy,
  redactor: Redactor,
  signal: AbortSignal,
  record: EgressRecord,
): Promise<ReturnType<typeof toResponse>> {
  const lookup = policy.lookup ?? systemLookup;
  for (let current = hop; ;) {
    const grant = grantFor(current.url, grants, record.redirects === 0 ? undefined : `the redirect to ${hostLabel(current.url)}`);
    await untilAborted(resolveAllowed(bareHostname(current.url), grant, { lookup, allowLoopback: policy.allowLoopback }), signal);
    const response = await send(current, grant, { lookup, allowLoopback: policy.allowLoopback, ca: policy.ca }, signal);
    record.status = response.statusCode ?? null;
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || location === undefined) {
      const read =
        current.method === "HEAD"
          ? headBody(response)
          : await readBody(response, policy.maxResponseBytes, hostLabel(current.url), (n) => (record.bytes = n));
      return toResponse(response, read, current.url, record.redirects > 0, redactor);
    }
    response.destroy();
    if (record.redirects >= policy.maxRedirects) {
      throw new EgressRefusal("too_many_redirects", `${record.host} redirected more than ${policy.maxRedirects} times: stopped there`);
    }
    record.redirects += 1;
    current = redirected(current, parseUrl(location, `the redirect from ${hostLabel(current.url)}`, current.url), response.statusCode!);
  }
}

/** A HEAD answer has no body; its Content-Length and Content-Encoding describe the GET's and stay. */
function headBody(response: IncomingMessage): { bytes: Buffer; decoded: boolean } {
  response.destroy();
  return { bytes: Buffer.alloc(0), decoded: false };
}

function toResponse(
  response: IncomingMessage,
  read: { bytes: Buffer; decoded: boolean },
  url: URL,
  redirected: boolean,
  redactor: Redactor,
) {
  return {
    status: response.statusCode ?? 0,
    statusText: response.statusMessage ?? "",
    headers: responseHeaders(response, read.decoded, redactor.text),
    ...encodeBody(redactor.bytes(read.bytes)),
    url: url.href,
    redirected,
  };
}

/** The next hop after a redirect: 303 (and 301/302 after a POST) becomes a GET without a body; another origin loses the origin-bound headers. */
function redirected(hop: Hop, to: URL, status: number): Hop {
  const headers = new Map(hop.headers);
  let { method, body } = hop;
  if (status === 303 ? method !== "HEAD" : (status === 301 || status === 302) && method === "POST") {
    method = "GET";
    body = null;
    headers.delete("content-type");
  }
  if (to.origin !== hop.url.origin) for (const name of ORIGIN_BOUND_HEADERS) headers.delete(name);
  return { url: to, method, headers, body };
}

/** One HTTP exchange up to the answer's headers, over a fresh connection whose lookup checks the addresses again. */
function send(
  hop: Hop,
  grant: ParsedGrant,
  options: { lookup: Lookup; allowLoopback: boolean; ca: string | undefined },
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const headers: Record<string, string> = {
    accept: "*/*",
    "user-agent": "ToolForge",
    ...Object.fromEntries(hop.headers),
    host: hop.url.host,
    "accept-encoding": ACCEPT_ENCODING,
  };
  const credential = grant.grant.credential;
  // Only the hop's own grant's credential: a redirect to another host never carries this one.
  if (credential) headers[credential.header.toLowerCase()] = credential.value;
  if (hop.body !== null) headers["content-length"] = String(Buffer.byteLength(hop.body));
  const client = hop.url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        hostname: bareHostname(hop.url),
        port: hop.url.port || undefined,
        path: `${hop.url.pathname}${hop.url.search}`,
        method: hop.method,
        headers,
        agent: false,
        lookup: checkedConnectLookup(grant, options),
        signal,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      },
      resolve,
    );
    req.on("error", reject);
    req.end(hop.body ?? undefined);
  });
}

function parseUrl(text: unknown, what: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(String(text), base);
  } catch {
    throw new EgressRefusal("invalid_request", `${what} is not an absolute URL: give one like https://api.example.com/path`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new EgressRefusal("invalid_request", `${what} uses ${url.protocol.replace(/:$/, "")}: only https (and http where granted)`);
  }
  if (url.username || url.password) {
    throw new EgressRefusal(
      "invalid_request",
      `${what} holds a user name or password: a person grants credentials with the host, never in a URL`,
    );
  }
  url.hash = "";
  return url;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function deadlineRefusal(host: string): EgressRefusal {
  return new EgressRefusal("deadline", `the request to ${host} did not finish before the call's deadline: the call's time ran out`);
}

function asRefusal(error: unknown, timedOut: boolean, host: string): EgressRefusal {
  if (error instanceof EgressRefusal) return error;
  if (timedOut) return deadlineRefusal(host);
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new EgressRefusal("network", `the request to ${host} failed: ${message}${code && !message.includes(code) ? ` (${code})` : ""}`);
}
