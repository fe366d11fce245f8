/**
 * Turns any error into the response the client gets: a known error keeps its status and message;
 * anything else is a 500 with a fresh error id, logged with its stack under that same id, so that
 * a user can quote the id and the operator can find the cause.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { HttpError, errorBody, errorHeaders, toHttpError, type ErrorBody, type ErrorContext } from "./errors.js";

export interface Failure {
  status: number;
  body: ErrorBody;
  /** Headers to send with it (Retry-After, WWW-Authenticate). */
  headers: Record<string, string>;
  /** Set for unexpected errors (500). */
  errorId?: string;
}

export function resolveFailure(error: unknown, context: ErrorContext, logger: Logger, request: { method: string; path: string }): Failure {
  const known = toHttpError(error, context);
  if (known) {
    if (known.status >= 500) logger.warn({ err: error, code: known.code, ...request }, known.message);
    return { status: known.status, body: errorBody(known), headers: errorHeaders(known) };
  }
  const errorId = randomUUID();
  logger.error({ err: error, errorId, ...request }, "unexpected error");
  const internal = new HttpError(500, "internal_error", `an unexpected error occurred (error id ${errorId})`, {
    hint: "the server log has the details under this error id",
  });
  return { status: 500, body: errorBody(internal, errorId), headers: {}, errorId };
}
