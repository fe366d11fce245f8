/**
 * `TOOLFORGE_API_KEY` set → every route but /healthz needs `Authorization: Bearer <key>`.
 * The comparison is constant-time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { HttpError } from "./errors.js";

const OPEN_PATHS = new Set(["/healthz"]);

export function requireApiKey(apiKey: string | undefined): RequestHandler {
  if (!apiKey) return (_req, _res, next) => next();
  const expected = digest(apiKey);
  return (req, _res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    const header = req.get("authorization");
    if (!header) {
      return next(
        new HttpError(401, "missing_api_key", "this server requires an API key: send 'Authorization: Bearer <TOOLFORGE_API_KEY>'", {
          hint: "set the key as the API key of your client (OpenAI clients send it as a Bearer token)",
        }),
      );
    }
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) {
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
