/**
 * The one Store interface. Everything above the store (forge, registry, objects, graph, server)
 * talks to this and never knows whether it has the embedded SQLite file or ArangoDB.
 * Times are ISO-8601 strings; JSON values are plain JSON (`JsonValue`). The grants' records are in
 * grant-types.ts, the library search's in library-types.ts.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type { NewToolGrant, ToolGrant } from "./grant-types.js";
import type { LibraryHit, LibrarySearchOptions } from "./library-types.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// ---------------------------------------------------------------- tools

/** The forged code of one version: shared by tool versions and method versions. */
export interface CodeArtifact {
  /** The TypeScript module as the model wrote it. */
  source: string;
  /** The ES module JavaScript that runs in the sandbox. */
  compiled: string;
  /** sha256 (hex) of `compiled`. */
  sha256: string;
  /** The forge run that produced it (null for imported or built-in code). */
  forgeRunId: string | null;
}

/**
 * Where a tool version came from: "forged" by the forge (it has a forge run), "added" by hand
 * through `toolforge tools add` / POST /tools (same contract, audit and sandbox validation, no
 * model), or "imported" straight into the store without either (tests, benchmarks, older data).
 */
export type ToolOrigin = "forged" | "added" | "imported";

export interface ToolVersion extends CodeArtifact {
  toolName: string;
  origin: ToolOrigin;
  version: number;
  description: string;
  /** JSON Schema (type object) of the tool's input. */
  schema: JsonObject;
  /** The hosts the version declares it calls (its `hosts` export); [] for a tool that reaches nothing. */
  hosts: string[];
  /** The library tools it uses, each at the version it was checked with (its pins); [] for most. */
  uses: ToolPin[];
  createdAt: string;
  /** "active": the one bound now; "inactive": kept for rollback. */
  status: "active" | "inactive";
}

export interface ToolSummary {
  name: string;
  activeVersion: number;
  /** The active version's origin. */
  origin: ToolOrigin;
  versionCount: number;
  description: string;
  schema: JsonObject;
  /** The active version's declared hosts. */
  hosts: string[];
  /** The active version's pins: the library tools it uses. */
  uses: ToolPin[];
  updatedAt: string;
}

export interface NewToolVersion extends CodeArtifact {
  toolName: string;
  description: string;
  schema: JsonObject;
  /** Default: "forged" when `forgeRunId` is set, else "imported". "forged" needs a forge run; the others may not have one. */
  origin?: ToolOrigin;
  /** The hosts the version calls (default none). */
  hosts?: string[];
  /** The library tools it uses, pinned (default none): each version must exist. */
  uses?: ToolPin[];
}

/** A tool version another one uses: the exact version it was checked with. */
export interface ToolPin {
  name: string;
  version: number;
}

/** An active tool version that uses a given tool, and the version of it that it is pinned to. */
export interface ToolDependent {
  name: string;
  version: number;
  /** The version of the used tool it is pinned to. */
  pinned: number;
}

// ---------------------------------------------------------------- objects

export interface ObjectRecord {
  /** Bare id (`system`); adapters accept `UvmObjects/system` too and normalise it. */
  id: string;
  attributes: JsonObject;
  /** Bumped by every attribute write; the expected value for the next optimistic update. */
  revision: number;
  /** Prototype ids in lookup order. */
  prototypes: string[];
  createdAt: string;
  updatedAt: string;
}

export interface NewObject {
  id: string;
  attributes?: JsonObject;
  prototypes?: string[];
}

export interface MethodVersion extends CodeArtifact {
  objectId: string;
  selector: string;
  version: number;
  description: string;
  createdAt: string;
  status: "active" | "inactive";
}

export interface NewMethodVersion extends CodeArtifact {
  objectId: string;
  selector: string;
  description: string;
}

/** A method found by lookup: which object along the chain holds it, and its active version. */
export interface ResolvedMethod {
  holderId: string;
  /** How many prototype links were followed (0 = the receiver itself). */
  depth: number;
  method: MethodVersion;
}

// ---------------------------------------------------------------- forge records

export type ForgeStage = "model" | "extract" | "transpile" | "audit" | "sandbox" | "install";

export interface AuditFinding {
  rule: string;
  message: string;
  line: number;
  column: number;
}

export interface ForgeAttempt {
  number: number;
  /** The model's full reply. */
  reply: string;
  /** The extracted TypeScript (empty when extraction failed). */
  code: string;
  /** The stage that failed, or "install" when the attempt passed everything. */
  stage: ForgeStage;
  outcome: "passed" | "failed";
  /** What went wrong, as fed back to the model on the next attempt. */
  failure: string | null;
  findings: AuditFinding[];
  /** Sandbox output (trimmed), when the sandbox ran. */
  sandbox: { exitCode: number | null; timedOut: boolean; oomKilled: boolean; stdout: string; stderr: string; report: JsonValue } | null;
  /** Milliseconds per stage. */
  durations: Partial<Record<ForgeStage, number>>;
  createdAt: string;
}

export interface ForgeRun {
  id: string;
  kind: "tool" | "method";
  spec: string;
  /** For methods: `objectId#selector`; for tools: the requested name when the spec names one. */
  target: string | null;
  status: "running" | "installed" | "failed" | "reused";
  /** On success, the installed tool name / method selector and version. */
  result: { name: string; version: number } | null;
  error: string | null;
  attempts: ForgeAttempt[];
  startedAt: string;
  finishedAt: string | null;
}

export interface NewForgeRun {
  kind: ForgeRun["kind"];
  spec: string;
  target: string | null;
}

/** How a forge run ended: every status but "running", with the installed name and version on success. */
export interface ForgeRunOutcome {
  status: Exclude<ForgeRun["status"], "running">;
  result?: ForgeRun["result"];
  error?: string | null;
}

export interface ForgeRunQuery {
  status?: ForgeRun["status"];
  /** Newest first, at most this many (default 100). */
  limit?: number;
}

// ---------------------------------------------------------------- messages and events

export type MessageStatus = "pending" | "running" | "done" | "failed";

export interface MessageRecord {
  id: string;
  targetId: string;
  selector: string;
  args: JsonValue[];
  kwargs: JsonObject;
  status: MessageStatus;
  result: JsonValue | null;
  error: string | null;
  learned: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface NewMessage {
  targetId: string;
  selector: string;
  args: JsonValue[];
  kwargs: JsonObject;
}

export interface MessagePatch {
  status?: MessageStatus;
  result?: JsonValue | null;
  error?: string | null;
  learned?: boolean;
  startedAt?: string | null;
  finishedAt?: string | null;
}

/** What `recoverInterruptedWork` resolved: the work of owners that died (see store/ownership.ts). */
export interface RecoveredWork {
  /** Pending messages of dead owners, now held by this store's owner, oldest first: deliver them. */
  requeued: MessageRecord[];
  /** Messages that were running when their owner died: now failed, "interrupted by a restart". */
  interruptedMessages: string[];
  /** Forge runs that were running when their owner died: now failed, "interrupted by a restart". */
  interruptedForgeRuns: string[];
}

export interface StoredEvent {
  /** Monotonic within the store. */
  seq: number;
  type: string;
  payload: JsonObject;
  createdAt: string;
}

export interface EventQuery {
  /** Only events after this sequence number (default 0: from the first). */
  afterSeq?: number;
  /** At most this many (default 100). */
  limit?: number;
}

// ---------------------------------------------------------------- the interface

export interface Store {
  readonly kind: "sqlite" | "arango";
  /** Human-readable location (file path or URL/database) for messages and /healthz. */
  readonly location: string;

  /** Schema migrations this open applied (empty when the store was already current): genesis reports it. */
  readonly appliedMigrations: readonly number[];

  /**
   * This open's owner id (store/ownership.ts): it holds the messages and forge runs it creates,
   * and keeps a lease in the store renewed while it is open.
   */
  readonly ownerId: string;

  /** Counter bumped by every install or rollback of a tool or method: cheap to read. */
  registryRevision(): Promise<number>;

  // tools
  /** One transaction: version row, active pointer, revision bump, `tool.installed` event. */
  installToolVersion(input: NewToolVersion): Promise<ToolVersion>;
  /** Records a person's answer for a tool's host (an event too: tool.granted or tool.denied, never the credential). */
  recordGrant(input: NewToolGrant): Promise<ToolGrant>;
  /** Revokes every standing answer for a tool's host (an event: tool.revoked); returns how many. */
  revokeGrants(toolName: string, host: string): Promise<number>;
  /** Every answer given for a tool, oldest first, revoked ones included. */
  listGrants(toolName: string): Promise<ToolGrant[]>;
  /** The credential of a grant, for the host to add to a request (never shown, logged or sent to the sandbox). */
  grantCredential(grantId: string): Promise<{ header: string; value: string } | null>;
  /** Makes `version` (default: the one before the active one) active; one transaction with revision + event. */
  rollbackTool(name: string, version?: number): Promise<ToolVersion>;
  getTool(name: string): Promise<ToolSummary | null>;
  listTools(): Promise<ToolSummary[]>;
  /** Active versions of every tool, code included (what the registry loads). */
  activeToolVersions(): Promise<ToolVersion[]>;
  listToolVersions(name: string): Promise<ToolVersion[]>;
  getToolVersion(name: string, version: number): Promise<ToolVersion | null>;
  /** The tools whose ACTIVE version uses `name`, with the version of it each is pinned to; by name. */
  listDependents(name: string): Promise<ToolDependent[]>;
  /** How many tools there are (cheap: the registry asks before every model call). */
  countTools(): Promise<number>;
  /**
   * Full-text search (BM25) over every active tool version and active method: name, description,
   * argument names and descriptions, and the spec it was forged from, as terms made by
   * library-text.ts. Kept right by every install and rollback, in the same transaction; best first.
   */
  searchLibrary(query: string, options?: LibrarySearchOptions): Promise<LibraryHit[]>;

  // objects
  /** Creates the object; fails with a clear error when the id exists or a prototype is missing. */
  createObject(input: NewObject): Promise<ObjectRecord>;
  /** Creates the object when missing; returns the existing one untouched otherwise. */
  ensureObject(input: NewObject): Promise<ObjectRecord>;
  getObject(id: string): Promise<ObjectRecord | null>;
  listObjects(): Promise<ObjectRecord[]>;
  /** Writes attributes when the object's revision is still `expectedRevision`; else RevisionConflictError. */
  updateAttributes(id: string, expectedRevision: number, attributes: JsonObject): Promise<ObjectRecord>;
  setPrototypes(id: string, prototypes: string[]): Promise<ObjectRecord>;
  /** One transaction: method version row, active pointer, revision bump, `method.installed` event. */
  installMethodVersion(input: NewMethodVersion): Promise<MethodVersion>;
  /** Makes `version` (default: the one before the active one) the active method version; one transaction with revision + event. */
  rollbackMethod(objectId: string, selector: string, version?: number): Promise<MethodVersion>;
  /**
   * Prototype-chain lookup: link order, depth-first, cycle-safe, at most `maxDepth` links (default 32).
   * Null when no object on the chain has the method; NotFoundError when the receiver does not exist.
   */
  lookupMethod(objectId: string, selector: string, options?: { maxDepth?: number }): Promise<ResolvedMethod | null>;
  /** Active methods defined on the object itself. */
  listMethods(objectId: string): Promise<MethodVersion[]>;
  listMethodVersions(objectId: string, selector: string): Promise<MethodVersion[]>;

  // forge records
  createForgeRun(input: NewForgeRun): Promise<ForgeRun>;
  addForgeAttempt(runId: string, attempt: ForgeAttempt): Promise<void>;
  finishForgeRun(runId: string, outcome: ForgeRunOutcome): Promise<ForgeRun>;
  getForgeRun(id: string): Promise<ForgeRun | null>;
  listForgeRuns(options?: ForgeRunQuery): Promise<ForgeRun[]>;

  // messages
  /** Records a pending message held by this owner. */
  createMessage(input: NewMessage): Promise<MessageRecord>;
  /**
   * Updates a message this owner holds and has not finished; `status: "running"` only from pending.
   * WorkNotHeldError otherwise (finished, or taken over by another process); NotFoundError when missing.
   */
  updateMessage(id: string, patch: MessagePatch): Promise<MessageRecord>;
  getMessage(id: string): Promise<MessageRecord | null>;

  /**
   * Resolves the work of owners that died (lease expired, or certainly dead): their pending
   * messages become this owner's and are returned for delivery; their running messages and forge
   * runs fail, "interrupted by a restart". One transaction; a live owner's work is never touched.
   */
  recoverInterruptedWork(): Promise<RecoveredWork>;

  // events (append-only)
  appendEvent(type: string, payload: JsonObject): Promise<StoredEvent>;
  listEvents(options?: EventQuery): Promise<StoredEvent[]>;

  /** The LangGraph checkpointer that keeps conversations in this store's data. */
  checkpointer(): BaseCheckpointSaver;
  /** The conversations the checkpointer holds: their thread ids, the most recently written first (at most `limit`, default 50). */
  listThreads(options?: { limit?: number }): Promise<string[]>;

  /**
   * Writes a consistent snapshot of the whole store into `dir` (SQLite: an online backup file;
   * ArangoDB: one JSONL file per collection) and returns the files written, relative to `dir`.
   */
  exportSnapshot(dir: string): Promise<string[]>;

  close(): Promise<void>;
}
