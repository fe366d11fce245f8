/** Validation of forge-run, message and event input shared by the adapters. */
import { InvalidInputError, NotFoundError } from "../errors.js";
import type { ForgeRun } from "./types.js";

const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidInputError(`limit ${limit} is not valid`, `use a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  return limit;
}

export function checkEventType(type: string): string {
  if (typeof type !== "string" || !/^[a-z][a-z0-9_.-]{0,99}$/.test(type)) {
    throw new InvalidInputError(
      `event type ${JSON.stringify(type)} is not valid`,
      'use lowercase words joined by dots, e.g. "tool.installed"',
    );
  }
  return type;
}

export function missingForgeRun(id: string): NotFoundError {
  return new NotFoundError(`no forge run "${id}"`);
}

/** A new tool or method version (`what`) names a forge run the store does not have. */
export function unknownForgeRun(what: string, forgeRunId: string): InvalidInputError {
  return new InvalidInputError(
    `${what}: forge run ${JSON.stringify(forgeRunId)} does not exist`,
    "pass the id returned by createForgeRun, or null",
  );
}

export function missingMessage(id: string): NotFoundError {
  return new NotFoundError(`no message "${id}"`, "use the message_id returned when the message was sent");
}

/** A run can be finished once; finishing it again is a bug in the caller. */
export function checkRunStillRunning(run: Pick<ForgeRun, "id" | "status">): void {
  if (run.status !== "running") {
    throw new InvalidInputError(`forge run "${run.id}" is already finished (status ${run.status})`, "finish each run exactly once");
  }
}
