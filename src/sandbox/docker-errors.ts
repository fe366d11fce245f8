/** Small helpers to read the errors that dockerode (docker-modem) throws, and to turn them into typed ones. */
import { SandboxUnavailableError, ToolForgeError, errorMessage } from "../errors.js";

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

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE"]);

/** Docker failures become typed errors; an unreachable engine says how to start it. */
export function dockerFailure(what: string, error: unknown): Error {
  if (error instanceof ToolForgeError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && UNREACHABLE_CODES.has(code)) {
    return new SandboxUnavailableError(
      `${what}: the Docker engine is not reachable (${code})`,
      "start it: `bash scripts/provision-sandbox.sh` (installs and starts Docker + runsc) or `sudo systemctl start docker`",
      error,
    );
  }
  return new ToolForgeError("sandbox_docker_error", `${what}: ${errorMessage(error)}`, { cause: error });
}
