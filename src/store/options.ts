/** Options of `openStore` beyond the configuration. */
export interface OpenStoreOptions {
  /**
   * Test-only: called inside install and rollback transactions after every write and just before
   * the commit, with the operation's name. Crash tests block here and kill the process to prove
   * that an interrupted install leaves nothing half-visible. Must be synchronous for SQLite.
   */
  beforeCommit?: (operation: "installToolVersion" | "rollbackTool" | "installMethodVersion" | "rollbackMethod") => void | Promise<void>;

  /** How long this owner's lease lasts without renewal (default DEFAULT_LEASE_MS, 30 s); tests shorten it. */
  leaseMs?: number;
}
