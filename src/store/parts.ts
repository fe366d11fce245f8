/**
 * The parts an adapter is made of, one per area, named alike in both adapters (SqliteTools and
 * ArangoTools both implement ToolsPart, and so on). Each operation is the one behind a Store
 * method, with its parameters and result; SQLite's parts answer at once (better-sqlite3 is
 * synchronous), ArangoDB's with a promise. ComposedStore (composed-store.ts) writes the Store's
 * methods once over them.
 */
import type { ResolvedMethod, Store } from "./types.js";

export type Awaitable<T> = T | Promise<T>;

/** The operation behind `Store[K]`: the same parameters, the same result now or later. */
type OperationOf<K extends keyof Store> = Store[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Awaitable<R> : never;

export interface ToolsPart {
  install: OperationOf<"installToolVersion">;
  rollback: OperationOf<"rollbackTool">;
  get: OperationOf<"getTool">;
  list: OperationOf<"listTools">;
  count: OperationOf<"countTools">;
  activeVersions: OperationOf<"activeToolVersions">;
  listVersions: OperationOf<"listToolVersions">;
  version: OperationOf<"getToolVersion">;
  dependents: OperationOf<"listDependents">;
}

export interface GrantsPart {
  record: OperationOf<"recordGrant">;
  revoke: OperationOf<"revokeGrants">;
  list: OperationOf<"listGrants">;
  credential: OperationOf<"grantCredential">;
}

export interface LibrarySearchPart {
  search: OperationOf<"searchLibrary">;
}

export interface ObjectsPart {
  create: OperationOf<"createObject">;
  ensure: OperationOf<"ensureObject">;
  get: OperationOf<"getObject">;
  list: OperationOf<"listObjects">;
  updateAttributes: OperationOf<"updateAttributes">;
  setPrototypes: OperationOf<"setPrototypes">;
  installMethod: OperationOf<"installMethodVersion">;
  rollbackMethod: OperationOf<"rollbackMethod">;
  lookup(objectId: string, selector: string, maxDepth?: number): Awaitable<ResolvedMethod | null>;
  listMethods: OperationOf<"listMethods">;
  listMethodVersions: OperationOf<"listMethodVersions">;
}

/** Forge runs, messages and events: the same names as the Store's methods. */
export type RecordsPart = {
  [
    K in
      | "createForgeRun"
      | "addForgeAttempt"
      | "finishForgeRun"
      | "getForgeRun"
      | "listForgeRuns"
      | "createMessage"
      | "updateMessage"
      | "getMessage"
      | "appendEvent"
      | "listEvents"
  ]: OperationOf<K>;
};

/** This open's owner (see ownership.ts). */
export interface OwnerPart {
  readonly id: string;
  recover: OperationOf<"recoverInterruptedWork">;
  /** Stops renewing the lease and removes it: whatever this owner still held is left for recovery. */
  release(): Awaitable<void>;
}

export interface StoreParts {
  tools: ToolsPart;
  grants: GrantsPart;
  library: LibrarySearchPart;
  objects: ObjectsPart;
  records: RecordsPart;
  owner: OwnerPart;
}
