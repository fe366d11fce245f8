/**
 * Cross-site requests. A web page on any origin can make the user's browser send this server a
 * "simple" request — `fetch(…, {method: "POST", mode: "no-cors"})`, a form post — with no CORS
 * preflight: the page cannot read the answer, but the request still acts (a rollback, a tool call,
 * a turn). Without an API key nothing else would stop it; the Host guard does not (the page names
 * 127.0.0.1 itself). So, on every route:
 *
 * - a state-changing request (any method but GET, HEAD and OPTIONS) that a browser marks as coming
 *   from another origin is refused with 403: `Sec-Fetch-Site` other than `same-origin` or `none`,
 *   or, from a browser that does not send it, an `Origin` whose host is not the one the request is
 *   for (or `Origin: null`). The console is served from this origin; curl, the CLI and MCP or
 *   OpenAI clients send no `Origin` at all;
 * - a POST, PUT or PATCH must say `Content-Type: application/json` (415 otherwise), a type a page
 *   cannot send without a preflight, which this server never grants (it sends no CORS headers).
 */
import type { Request, RequestHandler } from "express";
import { HttpError } from "./errors.js";

const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);
/** What `Sec-Fetch-Site` says for a request the page's own origin made, or the person (typed URL, bookmark). */
const OWN_FETCH_SITES: ReadonlySet<string> = new Set(["same-origin", "none"]);

/** Refuses a state-changing request that a browser sent from a page on another origin (see the top). */
export function refuseCrossOrigin(): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const from = foreignOrigin(req);
    if (from === null) return next();
    next(
      new HttpError(
        403,
        "cross_origin_request",
        `refused a ${req.method} ${req.path} sent by a web page on ${from}: this server takes requests that change something only from its own console (${ownOrigin(req)}) or from programs that send no Origin header`,
        {
          hint: "use the console at this server's own address, or call the API from a program (curl, the toolforge CLI, an OpenAI or MCP client); a page on another origin cannot change this server",
        },
      ),
    );
  };
}

/** Refuses a POST, PUT or PATCH whose Content-Type is not application/json (see the top). */
export function requireJsonContentType(): RequestHandler {
  return (req, _res, next) => {
    if (!BODY_METHODS.has(req.method)) return next();
    const type = mediaType(req.get("content-type"));
    if (type === "application/json") return next();
    next(
      new HttpError(
        415,
        "unsupported_media_type",
        `${req.method} ${req.path} needs a JSON body with Content-Type: application/json; this request has ${type === "" ? "no Content-Type" : `Content-Type: ${type}`}`,
        {
          hint: "send the body as JSON with Content-Type: application/json ({} when there is nothing to say, e.g. a rollback to the version before)",
        },
      ),
    );
  };
}

/**
 * The origin a browser says the request came from, when that is not this server's; null otherwise.
 * `Sec-Fetch-Site` decides when it is there: a page cannot set it, and the browser compares the
 * origins itself (so the console behind a reverse proxy that rewrites Host still passes). Browsers
 * without it are judged by `Origin` against the Host the request was sent to.
 */
function foreignOrigin(req: Request): string | null {
  const site = req.get("sec-fetch-site")?.trim().toLowerCase();
  const origin = req.get("origin")?.trim();
  if (site !== undefined && site !== "") return OWN_FETCH_SITES.has(site) ? null : origin || `another origin (Sec-Fetch-Site: ${site})`;
  if (origin === undefined || origin === "") return null;
  return sameHost(origin, req.get("host") ?? "") ? null : origin;
}

/** True when the Origin header names the host (and port) the request was sent to. */
function sameHost(origin: string, host: string): boolean {
  let originHost: string;
  let requestHost: string;
  try {
    const parsed = new URL(origin);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
    originHost = parsed.host;
    requestHost = new URL(`${parsed.protocol}//${host}`).host;
  } catch {
    return false; // "null", or not an origin at all
  }
  return originHost !== "" && originHost === requestHost;
}

function ownOrigin(req: Request): string {
  return `http://${req.get("host") ?? "this server"}`;
}

/** `application/json; charset=utf-8` → `application/json`; "" when there is none. */
function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}
