/**
 * DNS rebinding: a web page on another site can point its own name at 127.0.0.1 and then talk to
 * this server from the user's browser as if it were same-origin. Without an API key nothing else
 * stands in its way, and the agent runs code. So, without a key, a request must name this machine
 * in its Host header (localhost, 127.x, [::1]) — what every local client sends. With a key set,
 * the key is the guard (a page cannot know it), and any Host is accepted.
 */
import type { RequestHandler } from "express";
import { OPEN_PATHS } from "./auth.js";
import { HttpError } from "./errors.js";
import { isLoopback } from "./listen-policy.js";

export function requireLoopbackHost(apiKey: string | undefined): RequestHandler {
  if (apiKey) return (_req, _res, next) => next();
  return (req, _res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    const hostname = hostnameOf(req.get("host") ?? "");
    if (hostname !== null && isLoopback(hostname)) return next();
    next(
      new HttpError(
        403,
        "host_not_allowed",
        `refused a request for host ${JSON.stringify(req.get("host") ?? "")}: without an API key this server answers only requests for localhost`,
        {
          hint: "connect through http://127.0.0.1:<port> or http://localhost:<port>, or set TOOLFORGE_API_KEY to serve other names",
        },
      ),
    );
  };
}

/** `localhost:8000` → `localhost`, `[::1]:8000` → `::1`; null when there is no usable name. */
function hostnameOf(host: string): string | null {
  const trimmed = host.trim().toLowerCase();
  if (trimmed === "") return null;
  if (trimmed.startsWith("[")) {
    const end = trimmed.indexOf("]");
    return end > 0 ? trimmed.slice(1, end) : null;
  }
  const colon = trimmed.lastIndexOf(":");
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}
