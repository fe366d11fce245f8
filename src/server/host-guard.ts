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

/**
 * The host a Host header names, read as a URL authority (RFC 3986: `host[:port]`, no user info, no
 * path): `localhost:8000` → `localhost`, `[::1]:8000` → `::1`. Null when it is not a plain
 * authority — `localhost:1@evil` names the host `evil` (what is before the `@` is user info), and
 * anything with a path, query, fragment or a port that is not a number is refused outright.
 */
function hostnameOf(host: string): string | null {
  const trimmed = host.trim();
  if (trimmed === "") return null;
  let url: URL;
  try {
    url = new URL(`http://${trimmed}`);
  } catch {
    return null;
  }
  if (url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "") return null;
  if (/[@/?#\\]/.test(trimmed)) return null;
  return url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
}
