/** Options of `openStore` beyond the configuration. */
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";

export interface OpenStoreOptions {
  /**
   * Test-only: called inside install and rollback transactions after every write and just before
   * the commit, with the operation's name. Crash tests block here and kill the process to prove
   * that an interrupted install leaves nothing half-visible. Must be synchronous for SQLite.
   */
  beforeCommit?: (operation: "installToolVersion" | "rollbackTool" | "installMethodVersion" | "rollbackMethod") => void | Promise<void>;

  /** How long this owner's lease lasts without renewal (default DEFAULT_LEASE_MS, 30 s); tests shorten it. */
  leaseMs?: number;

  /**
   * Where the store reports what goes wrong in the background (a lease it could not renew or
   * remove), with source "store"; default: process warnings.
   */
  diagnostics?: Diagnostics;
}

export function diagnosticsOf(options: OpenStoreOptions): Diagnostics {
  return options.diagnostics ?? processDiagnostics;
}
