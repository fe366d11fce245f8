/** Rows as SQLite returns them, and their mapping to the Store's records. */
import type {
  ForgeAttempt,
  ForgeRun,
  JsonObject,
  JsonValue,
  MessageRecord,
  MethodVersion,
  ObjectRecord,
  StoredEvent,
  ToolOrigin,
  ToolPin,
  ToolSummary,
  ToolVersion,
} from "../types.js";

export interface ToolVersionRow extends CodeRow {
  tool_name: string;
  schema: string;
  origin: ToolOrigin;
  hosts: string;
  /** JSON: [{ name, version }, …] from tool_uses. */
  uses: string;
}

export const TOOL_VERSION_COLUMNS = `v.tool_name, v.version, v.description, v.schema, v.source, v.compiled,
  v.sha256, v.forge_run_id, v.origin, v.hosts, v.created_at, t.active_version,
  (SELECT json_group_array(json_object('name', u.uses_name, 'version', u.uses_version))
     FROM tool_uses u WHERE u.tool_name = v.tool_name AND u.version = v.version) AS uses`;

interface CodeRow {
  version: number;
  description: string;
  source: string;
  compiled: string;
  sha256: string;
  forge_run_id: string | null;
  created_at: string;
  active_version: number;
}

/** The fields tool and method versions share. */
function codeFields(r: CodeRow) {
  return {
    version: r.version,
    description: r.description,
    source: r.source,
    compiled: r.compiled,
    sha256: r.sha256,
    forgeRunId: r.forge_run_id,
    createdAt: r.created_at,
    status: r.version === r.active_version ? ("active" as const) : ("inactive" as const),
  };
}

export function toToolVersion(r: ToolVersionRow): ToolVersion {
  return {
    toolName: r.tool_name,
    origin: r.origin,
    schema: JSON.parse(r.schema) as JsonObject,
    hosts: JSON.parse(r.hosts) as string[],
    uses: sortedPins(r.uses),
    ...codeFields(r),
  };
}

function sortedPins(json: string): ToolPin[] {
  return (JSON.parse(json) as ToolPin[]).sort((a, b) => a.name.localeCompare(b.name));
}

export interface ToolSummaryRow {
  name: string;
  active_version: number;
  origin: ToolOrigin;
  version_count: number;
  description: string;
  schema: string;
  hosts: string;
  uses: string;
  updated_at: string;
}

export function toToolSummary(r: ToolSummaryRow): ToolSummary {
  return {
    name: r.name,
    activeVersion: r.active_version,
    origin: r.origin,
    versionCount: r.version_count,
    description: r.description,
    schema: JSON.parse(r.schema) as JsonObject,
    hosts: JSON.parse(r.hosts) as string[],
    uses: sortedPins(r.uses),
    updatedAt: r.updated_at,
  };
}

export interface ObjectRow {
  id: string;
  attributes: string;
  revision: number;
  created_at: string;
  updated_at: string;
}

export function toObjectRecord(r: ObjectRow, prototypes: string[]): ObjectRecord {
  return {
    id: r.id,
    attributes: JSON.parse(r.attributes) as JsonObject,
    revision: r.revision,
    prototypes,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface MethodVersionRow extends CodeRow {
  object_id: string;
  selector: string;
}

export const METHOD_VERSION_COLUMNS = `v.object_id, v.selector, v.version, v.description, v.source, v.compiled,
  v.sha256, v.forge_run_id, v.created_at, m.active_version`;

export function toMethodVersion(r: MethodVersionRow): MethodVersion {
  return { objectId: r.object_id, selector: r.selector, ...codeFields(r) };
}

export interface ForgeRunRow {
  id: string;
  kind: ForgeRun["kind"];
  spec: string;
  target: string | null;
  status: ForgeRun["status"];
  result_name: string | null;
  result_version: number | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

export function toForgeRun(r: ForgeRunRow, attempts: ForgeAttempt[]): ForgeRun {
  return {
    id: r.id,
    kind: r.kind,
    spec: r.spec,
    target: r.target,
    status: r.status,
    result: r.result_name !== null && r.result_version !== null ? { name: r.result_name, version: r.result_version } : null,
    error: r.error,
    attempts,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export interface MessageRow {
  id: string;
  target_id: string;
  selector: string;
  args: string;
  kwargs: string;
  status: MessageRecord["status"];
  result: string | null;
  error: string | null;
  learned: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export function toMessageRecord(r: MessageRow): MessageRecord {
  return {
    id: r.id,
    targetId: r.target_id,
    selector: r.selector,
    args: JSON.parse(r.args) as JsonValue[],
    kwargs: JSON.parse(r.kwargs) as JsonObject,
    status: r.status,
    result: r.result === null ? null : (JSON.parse(r.result) as JsonValue),
    error: r.error,
    learned: r.learned === 1,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export interface EventRow {
  seq: number;
  type: string;
  payload: string;
  created_at: string;
}

export function toStoredEvent(r: EventRow): StoredEvent {
  return { seq: r.seq, type: r.type, payload: JSON.parse(r.payload) as JsonObject, createdAt: r.created_at };
}
