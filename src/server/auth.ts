/**
 * `TOOLFORGE_API_KEY` set → every route but /healthz needs `Authorization: Bearer <key>`, and
 * /healthz shows its details only to a request that carries it. The comparison is constant-time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { HttpError } from "./errors.js";

/** The paths every request may reach: no API key (here) and any Host (host-guard.ts). */
export const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz"]);

export type KeyCheck = "no_key_needed" | "ok" | "missing" | "invalid";

/** How a request stands against the key (every request is fine when no key is set). */
export function apiKeyCheck(apiKey: string | undefined): (req: Request) => KeyCheck {
  if (!apiKey) return () => "no_key_needed";
  const expected = digest(apiKey);
  return (req) => {
    const header = req.get("authorization");
    if (!header) return "missing";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1] && timingSafeEqual(digest(match[1].trim()), expected) ? "ok" : "invalid";
  };
}

export function requireApiKey(apiKey: string | undefined): RequestHandler {
  const check = apiKeyCheck(apiKey);
  return (req, _res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    const outcome = check(req);
    if (outcome === "missing") {
      return next(
        new HttpError(401, "missing_api_key", "this server requires an API key: send 'Authorization: Bearer <TOOLFORGE_API_KEY>'", {
          hint: "set the key as the API key of your client (OpenAI clients send it as a Bearer token)",
        }),
      );
    }
    if (outcome === "invalid") {
      return next(
        new HttpError(401, "invalid_api_key", "the API key is not valid: the Bearer token does not match TOOLFORGE_API_KEY", {
          hint: "use the value of TOOLFORGE_API_KEY that the server was started with",
        }),
      );
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
