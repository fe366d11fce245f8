/** Small helpers to read errors that dockerode (docker-modem) throws. */
import { errorMessage } from "../errors.js";

/** The HTTP status the Docker engine answered with, when the error came from it. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "statusCode" in error ? Number(error.statusCode) : undefined;
}

/** True for "the container is already gone / being removed / not running": nothing left to do. */
export function isGoneOrStopped(error: unknown): boolean {
  const status = statusOf(error);
  if (status === 404) return true;
  if (status === 409 && /not running|already in progress|is not running/i.test(errorMessage(error))) return true;
  return false;
}
