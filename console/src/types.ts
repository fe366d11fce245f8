/** The JSON the console reads from the server (see docs/server.md and docs/console.md). */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface ToolSummary {
  name: string;
  description: string;
  active_version: number;
  version_count: number;
  schema: Json;
  updated_at: string;
}

export interface ToolVersion {
  version: number;
  status: "active" | "inactive";
  description: string;
  schema: Json;
  sha256: string;
  /** "forged" (it has a forge run), "added" by hand (`toolforge tools add`, POST /tools), or "imported" into the store. */
  origin: "forged" | "added" | "imported";
  forge_run_id: string | null;
  created_at: string;
  source: string;
}

/** Where one host a tool calls stands for its active version (GET /tools/:name `access`, GET …/grants `hosts`). */
export interface HostAccess {
  host: string;
  status: "granted" | "denied" | "not answered";
  /** The header of the credential the host adds (never its value). */
  credential: string | null;
}

export interface ToolDetail extends ToolSummary {
  /** The hosts the active version calls ([] for most tools). */
  access: HostAccess[];
  /** The library tools the active version uses, each at the version it is pinned to. */
  uses: { name: string; version: number }[];
  /** The tools whose active version uses this one, and the version of it each is pinned to. */
  used_by: { name: string; version: number; pinned: number }[];
  source: string | null;
  versions: ToolVersion[];
}

export interface ToolCalls {
  name: string;
  calls: number;
  failures: number;
  recent: {
    at: string;
    outcome: "ok" | "error";
    duration_ms: number;
    error: string | null;
    version: number | null;
    /** One-line previews (null when the call was recorded without them). */
    args: string | null;
    result: string | null;
    /** The outside requests the call made through the host. */
    requests: { host: string; method: string; status: number | null; bytes: number; duration_ms: number; refused: string | null }[];
  }[];
}

/** POST /tools/:name/call's answer. */
export type ToolCallOutcome = { name: string; version: number; duration_ms: number } & (
  { ok: true; result: Json } | { ok: false; kind: string; error: string }
);

export type ForgeStage = "model" | "extract" | "transpile" | "audit" | "sandbox" | "install";

export interface Finding {
  rule: string;
  message: string;
  line: number;
  column: number;
}

export interface Attempt {
  number: number;
  stage: ForgeStage;
  outcome: "passed" | "failed";
  failure: string | null;
  /** Why it failed, for people (null when it passed): the one line, and where in the module when known. */
  summary: { text: string; at: { line: number; column: number } | null } | null;
  findings: Finding[];
  code: string;
  reply: string;
  sandbox: { exit_code: number | null; timed_out: boolean; oom_killed: boolean; stdout: string; stderr: string; report: Json } | null;
  durations_ms: Partial<Record<ForgeStage, number>>;
  created_at: string;
}

export interface RunSummary {
  id: string;
  kind: "tool" | "method";
  spec: string;
  target: string | null;
  status: "running" | "installed" | "failed" | "reused";
  result: { name: string; version: number } | null;
  error: string | null;
  attempt_count: number;
  last_stage: { stage: ForgeStage; outcome: "passed" | "failed" } | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface Run extends Omit<RunSummary, "attempt_count" | "last_stage"> {
  attempts: Attempt[];
}

export interface ObjectSummary {
  id: string;
  prototypes: string[];
  attributes: { [key: string]: Json };
  methods: { selector: string; version: number }[];
  revision: number;
  created_at: string;
  updated_at: string;
}

export interface ObjectDetail {
  id: string;
  attributes: { [key: string]: Json };
  revision: number;
  prototypes: string[];
  methods: {
    selector: string;
    version: number;
    versions: number[];
    description: string;
    updated_at: string;
    /** The active version's source and the forge run that wrote it (null: not forged). */
    source: string;
    forge_run_id: string | null;
  }[];
  created_at: string;
  updated_at: string;
}

export interface Message {
  message_id: string;
  target_object_id: string;
  method_name: string;
  status: "pending" | "running" | "done" | "failed";
  result?: Json;
  error?: string;
  learned: boolean;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** GET /messages only: the forge run the message started (it taught a method, or failed to). */
  forge_run_id?: string | null;
}

/** An event from GET /events: its type, the time it was published, and the rest of its fields. */
export interface BusEvent {
  type: string;
  at: string;
  [field: string]: unknown;
}
