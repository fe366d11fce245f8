/** Documents → the Store's records. */
import type { ForgeAttempt, ForgeRun, MessageRecord, MethodVersion, ObjectRecord, ToolOrigin, ToolVersion } from "../types.js";
import type { ForgeRunDoc, MessageDoc, MethodVersionDoc, ObjectDoc, ToolVersionDoc } from "./collections.js";

/** The fields tool and method versions share. */
function codeFields(doc: ToolVersionDoc | MethodVersionDoc, activeVersion: number) {
  return {
    version: doc.version,
    description: doc.description,
    source: doc.source,
    compiled: doc.compiled,
    sha256: doc.sha256,
    forgeRunId: doc.forgeRunId,
    createdAt: doc.createdAt,
    status: doc.version === activeVersion ? ("active" as const) : ("inactive" as const),
  };
}

export function toToolVersion(doc: ToolVersionDoc, activeVersion: number): ToolVersion {
  return {
    toolName: doc.toolName,
    origin: originOf(doc),
    schema: doc.schema,
    hosts: doc.hosts ?? [],
    uses: [...(doc.uses ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
    ...codeFields(doc, activeVersion),
  };
}

export function toMethodVersion(doc: MethodVersionDoc, activeVersion: number): MethodVersion {
  return { objectId: doc.objectId, selector: doc.selector, ...codeFields(doc, activeVersion) };
}

export function toObjectRecord(doc: ObjectDoc, prototypes: string[]): ObjectRecord {
  return {
    id: doc._key,
    attributes: doc.attributes,
    revision: doc.revision,
    prototypes,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export function originOf(doc: Pick<ToolVersionDoc, "origin" | "forgeRunId">): ToolOrigin {
  return doc.origin ?? (doc.forgeRunId === null ? "imported" : "forged");
}

export function toForgeRun(doc: ForgeRunDoc, attempts: ForgeAttempt[]): ForgeRun {
  return {
    id: doc._key,
    kind: doc.kind,
    spec: doc.spec,
    target: doc.target,
    status: doc.status,
    result: doc.result,
    error: doc.error,
    attempts,
    startedAt: doc.startedAt,
    finishedAt: doc.finishedAt,
  };
}

export function toMessageRecord(doc: MessageDoc): MessageRecord {
  return {
    id: doc._key,
    targetId: doc.targetId,
    selector: doc.selector,
    args: doc.args,
    kwargs: doc.kwargs,
    status: doc.status,
    result: doc.result,
    error: doc.error,
    learned: doc.learned,
    createdAt: doc.createdAt,
    startedAt: doc.startedAt,
    finishedAt: doc.finishedAt,
  };
}
