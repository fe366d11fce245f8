/**
 * HTTP errors: one JSON shape on every route, `{ error: { message, type, code, hint?, param?,
 * error_id? } }`. It is OpenAI's error shape (message, type, code) with ToolForge's extras, so the
 * official OpenAI clients show `message` and everything else can read `code` and `hint`.
 * `toHttpError` maps the project's typed errors (and the few foreign errors we know) to a status;
 * anything it does not know is unexpected and becomes a 500 with an error id (see app.ts).
 */
import { explainModelError } from "../personas/model.js";
import {
  ModelReplyError,
  ModelUnavailableError,
  NotFoundError,
  InvalidInputError,
  OllamaServerError,
  RevisionConflictError,
  SandboxBusyError,
  SandboxUnavailableError,
  StoreUnavailableError,
  ToolForgeError,
} from "../errors.js";

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  /** The request field the error is about (OpenAI's `param`), when there is one. */
  readonly param: string | undefined;
  /** Sent as `Retry-After` (seconds): when the same request may succeed (a busy sandbox). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { hint?: string; param?: string; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.hint = options.hint;
    this.param = options.param;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The headers an error response carries besides its body. */
export function errorHeaders(error: HttpError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="toolforge"';
  if (error.retryAfterSeconds !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  return headers;
}

export interface ErrorBody {
  error: {
    message: string;
    type: string;
    code: string;
    hint?: string;
    param?: string;
    error_id?: string;
  };
}

/** OpenAI's `type` for a status. */
function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 409) return "conflict_error";
  if (status === 503) return "service_unavailable_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** The body of an error response; `message` is self-contained (it ends with the hint, if any). */
export function errorBody(error: HttpError, errorId?: string): ErrorBody {
  const message = error.hint && !error.message.includes(error.hint) ? `${error.message} — ${error.hint}` : error.message;
  const body: ErrorBody = { error: { message, type: errorType(error.status), code: error.code } };
  if (error.hint) body.error.hint = error.hint;
  if (error.param) body.error.param = error.param;
  if (errorId) body.error.error_id = errorId;
  return body;
}

export interface ErrorContext {
  /** Where Ollama is expected (config.ollamaHost), to recognise and explain a refused connection. */
  ollamaHost: string;
}

/** Maps a known error to an HttpError; returns null for an unexpected error (a 500). */
export function toHttpError(error: unknown, context: ErrorContext): HttpError | null {
  if (error instanceof HttpError) return error;
  const parser = bodyParserError(error);
  if (parser) return parser;
  const path = malformedPathError(error);
  if (path) return path;
  if (error instanceof ToolForgeError) return fromToolForgeError(error);
  return fromOllamaFailure(error, context);
}

/** A ToolForgeError's message carries its hint after "\n  → "; HTTP gets one line plus `hint`. */
function oneLine(error: ToolForgeError): string {
  return error.message.replace(/\s*\n\s*→\s*/g, " — ").replace(/\s*\n\s*/g, " ");
}

function fromToolForgeError(error: ToolForgeError): HttpError | null {
  const options = { hint: error.hint, cause: error };
  if (error instanceof InvalidInputError) return new HttpError(400, error.code, oneLine(error), options);
  if (error instanceof NotFoundError) return new HttpError(404, error.code, oneLine(error), options);
  if (error instanceof RevisionConflictError) return new HttpError(409, error.code, oneLine(error), options);
  // Ollama is up, but answered with an error, or its reply was cut off or empty: a bad answer from the upstream server.
  if (error instanceof ModelReplyError || error instanceof OllamaServerError)
    return new HttpError(502, error.code, oneLine(error), options);
  // The sandbox had no room: nothing ran; the same request may succeed after Retry-After.
  if (error instanceof SandboxBusyError)
    return new HttpError(503, error.code, oneLine(error), { ...options, retryAfterSeconds: error.retryAfterSeconds });
  if (error instanceof ModelUnavailableError || error instanceof StoreUnavailableError || error instanceof SandboxUnavailableError) {
    return new HttpError(503, error.code, oneLine(error), options);
  }
  return null;
}

interface BodyParserFailure {
  type?: unknown;
  /** The raw body text (body-parser attaches it to parse failures). */
  body?: unknown;
  status?: unknown;
  expose?: unknown;
  message?: unknown;
  limit?: unknown;
}

function bodyParserError(error: unknown): HttpError | null {
  if (typeof error !== "object" || error === null) return null;
  const e = error as BodyParserFailure;
  if (e.type === "entity.parse.failed") {
    const scalar = jsonScalarKind(e.body);
    if (scalar) {
      return new HttpError(400, "invalid_body", `the request body is ${scalar}, not a JSON object`, {
        hint: 'send a JSON object, e.g. {"message": "hello"}, with Content-Type: application/json',
        cause: error,
      });
    }
    return new HttpError(400, "invalid_json", `the request body is not valid JSON: ${String(e.message)}`, {
      hint: "send a JSON object with Content-Type: application/json",
      cause: error,
    });
  }
  if (e.type === "entity.too.large") {
    return new HttpError(413, "body_too_large", `the request body is larger than the limit of ${formatBytes(e.limit)}`, {
      hint: "send a smaller body",
      cause: error,
    });
  }
  if (typeof e.type === "string" && e.expose === true && typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, e.type.replace(/\./g, "_"), String(e.message), { cause: error });
  }
  return null;
}

/** "null", "a number", … when `body` is valid JSON but no object or array (the JSON parser's strict mode refuses it); else null. */
function jsonScalarKind(body: unknown): string | null {
  if (typeof body !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (value === null) return "null";
  if (typeof value === "object") return null;
  return typeof value === "number" ? "a number" : typeof value === "string" ? "a string" : "a boolean";
}

/** Express answers a path parameter it cannot percent-decode (`/tools/%ZZ`) with a URIError marked 400. */
function malformedPathError(error: unknown): HttpError | null {
  if (!(error instanceof URIError) || (error as { status?: unknown }).status !== 400) return null;
  return new HttpError(400, "invalid_path", `the request path is not valid: ${error.message} (a malformed percent-encoding)`, {
    hint: "percent-encode path segments properly (encodeURIComponent): a % must be followed by two hexadecimal digits",
    cause: error,
  });
}

function formatBytes(limit: unknown): string {
  if (typeof limit !== "number") return "1 MB";
  return limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MB` : `${limit} bytes`;
}

/**
 * A model call's failure that got past the persona layer (a ChatOllama error as it is): classified
 * the one way every caller classifies it (personas/model.ts explainModelError), then answered as
 * that error is.
 */
function fromOllamaFailure(error: unknown, context: ErrorContext): HttpError | null {
  const explained = explainModelError(error, { host: context.ollamaHost });
  return explained instanceof ToolForgeError ? fromToolForgeError(explained) : null;
}
