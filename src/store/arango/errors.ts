/**
 * ArangoDB failures a user can act on, turned into StoreUnavailableError naming the URL, the user
 * and the database and saying what to do. Anything else passes through unchanged.
 */
import { HttpError, isArangoError, isNetworkError } from "arangojs/errors";
import { StoreUnavailableError } from "../../errors.js";
import type { Config } from "../../config.js";

export type ArangoSettings = NonNullable<Config["arango"]>;

/** ArangoDB error numbers (https://docs.arangodb.com/stable/develop/error-codes/). */
export const ARANGO_ERRORS = {
  forbidden: 11,
  conflict: 1200,
  documentNotFound: 1202,
  duplicateName: 1207,
  uniqueConstraintViolated: 1210,
  databaseNotFound: 1228,
  lockTimeout: 18,
} as const;

export function arangoErrorNum(error: unknown): number | undefined {
  return isArangoError(error) ? error.errorNum : undefined;
}

/** The user-facing error for a failure that means the store cannot be used, or null for any other failure. */
export function describeArangoFailure(error: unknown, settings: ArangoSettings): StoreUnavailableError | null {
  const status = error instanceof HttpError ? error.code : isArangoError(error) ? error.code : undefined;
  const errorNum = arangoErrorNum(error);
  if (status === 401 || errorNum === ARANGO_ERRORS.forbidden) {
    return new StoreUnavailableError(
      `ArangoDB at ${settings.url} refused user "${settings.user}" for database "${settings.database}" (${messageOf(error)})`,
      "set ARANGO_USER and ARANGO_PASS to a user with read/write access to ARANGO_DB (with docker compose: the root password is ARANGO_ROOT_PASSWORD)",
      error,
    );
  }
  if (errorNum === ARANGO_ERRORS.databaseNotFound) {
    return new StoreUnavailableError(
      `ArangoDB at ${settings.url} has no database "${settings.database}", and user "${settings.user}" could not create it`,
      `create the database (e.g. in the web UI at ${settings.url}) or set ARANGO_USER/ARANGO_PASS to a user allowed to create databases`,
      error,
    );
  }
  if (isNetworkError(error) && !(error instanceof HttpError)) {
    return new StoreUnavailableError(
      `cannot reach ArangoDB at ${settings.url} (${messageOf(error)})`,
      "start it with `docker compose up -d arangodb` (see docs/store.md), or fix ARANGO_URL; unset ARANGO_URL to use the embedded SQLite store",
      error,
    );
  }
  return null;
}

/** Rethrows `error` as the user-facing StoreUnavailableError when it is one of those, else unchanged. */
export function rethrowArangoFailure(error: unknown, settings: ArangoSettings): never {
  throw describeArangoFailure(error, settings) ?? error;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
