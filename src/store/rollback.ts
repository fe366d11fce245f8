/** Which version a rollback makes active, decided alike for tools and methods in every adapter. */
import { InvalidInputError, NotFoundError } from "../errors.js";

/**
 * `requested` when given (any existing version other than the active one), else the newest
 * version below the active one. `what` names the tool or method in errors.
 */
export function pickRollbackTarget(what: string, versions: readonly number[], active: number, requested?: number): number {
  if (requested !== undefined) {
    if (!versions.includes(requested)) {
      throw new NotFoundError(
        `${what} has no version ${requested}`,
        `existing versions: ${[...versions].sort((a, b) => a - b).join(", ")}`,
      );
    }
    if (requested === active) {
      throw new InvalidInputError(`${what}: version ${requested} is already the active one`, "name another version to roll back to");
    }
    return requested;
  }
  const earlier = versions.filter((v) => v < active);
  if (earlier.length === 0) {
    throw new InvalidInputError(`${what} has no version before the active version ${active}`, "name the version to make active");
  }
  return Math.max(...earlier);
}
