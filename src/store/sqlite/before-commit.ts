/** The test-only `beforeCommit` hook (see ../options.ts), called inside a synchronous SQLite transaction. */
import type { OpenStoreOptions } from "../options.js";

type Hook = OpenStoreOptions["beforeCommit"];
type Operation = Parameters<NonNullable<Hook>>[0];

/** Calls the hook; a hook that returns a promise is refused, because nothing inside the transaction could await it. */
export function runBeforeCommit(hook: Hook, operation: Operation): void {
  const result: unknown = hook?.(operation);
  if (result instanceof Promise) {
    result.catch(() => undefined);
    throw new Error(`beforeCommit returned a promise in ${operation}: SQLite transactions are synchronous, so the hook must be too`);
  }
}
