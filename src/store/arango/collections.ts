/** The ArangoDB collections of the store and the shape of their documents. */
import { createHash } from "node:crypto";
import type { ForgeAttempt, ForgeRun, JsonObject, MessageRecord, ToolOrigin, ToolPin } from "../types.js";
import { OBJECT_COLLECTION } from "../ids.js";

export const COLLECTIONS = {
  objects: OBJECT_COLLECTION,
  links: "PrototypeLinks",
  tools: "Tools",
  toolVersions: "ToolVersions",
  toolGrants: "ToolGrants",
  methods: "Methods",
  methodVersions: "MethodVersions",
  forgeRuns: "ForgeRuns",
  forgeAttempts: "ForgeAttempts",
  messages: "Messages",
  events: "Events",
  meta: "Meta",
  migrations: "SchemaMigrations",
  checkpoints: "Checkpoints",
  checkpointBlobs: "CheckpointBlobs",
  checkpointWrites: "CheckpointWrites",
  owners: "Owners",
} as const;

export type CollectionName = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];
export const EDGE_COLLECTIONS: readonly CollectionName[] = [COLLECTIONS.links];
export const ALL_COLLECTIONS: readonly CollectionName[] = Object.values(COLLECTIONS);
/** What a snapshot holds: the data, not the leases of the processes that had the store open. */
export const SNAPSHOT_COLLECTIONS: readonly CollectionName[] = ALL_COLLECTIONS.filter((name) => name !== COLLECTIONS.owners);

/** Counters in the Meta collection: the registry revision and the last event sequence number. */
export const COUNTERS = { registry: "registry", events: "events" } as const;
export type CounterKey = (typeof COUNTERS)[keyof typeof COUNTERS];

/**
 * A document key derived from parts that may themselves contain any key character (object ids
 * may contain ":"), so joining them with a separator could collide.
 */
export function derivedKey(...parts: (string | number)[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 40);
}

export const toolVersionKey = (name: string, version: number) => `${name}:${version}`; // tool names hold no ":"
export const methodKey = (objectId: string, selector: string) => derivedKey(objectId, selector);
export const methodVersionKey = (objectId: string, selector: string, version: number) => derivedKey(objectId, selector, version);
export const objectHandle = (id: string) => `${COLLECTIONS.objects}/${id}`;

export interface ObjectDoc {
  _key: string;
  attributes: JsonObject;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface LinkDoc {
  _from: string;
  _to: string;
  order: number;
}

export interface ToolDoc {
  _key: string;
  activeVersion: number;
  createdAt: string;
  updatedAt: string;
}

interface CodeFields {
  description: string;
  source: string;
  compiled: string;
  sha256: string;
  forgeRunId: string | null;
  createdAt: string;
}

export interface ToolVersionDoc extends CodeFields {
  _key: string;
  toolName: string;
  version: number;
  schema: JsonObject;
  /** Absent on documents written before the library search (read as forged / imported by forgeRunId). */
  origin?: ToolOrigin;
  /** Absent on documents written before grants: no hosts. */
  hosts?: string[];
  /** Absent on documents written before tools could use tools: none. */
  uses?: ToolPin[];
}

export interface ToolGrantDoc {
  _key: string;
  toolName: string;
  host: string;
  version: number;
  onlyThisVersion: boolean;
  decision: "granted" | "denied";
  credential: { header: string; value: string } | null;
  privateNetwork: boolean;
  createdAt: string;
  revokedAt: string | null;
}

export interface MethodDoc {
  _key: string;
  objectId: string;
  selector: string;
  activeVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface MethodVersionDoc extends CodeFields {
  _key: string;
  objectId: string;
  selector: string;
  version: number;
}

/** A forge run: the record keyed by its id, its attempts in ForgeAttempts. */
export interface ForgeRunDoc extends Omit<ForgeRun, "id" | "attempts"> {
  _key: string;
  /** The owner that runs it (store/ownership.ts); missing on runs made before owners existed. */
  ownerId?: string | null;
}

export interface ForgeAttemptDoc {
  _key: string;
  runId: string;
  number: number;
  attempt: ForgeAttempt;
}

/** A message: the record keyed by its id. */
export interface MessageDoc extends Omit<MessageRecord, "id"> {
  _key: string;
  /** The owner that holds it (store/ownership.ts); missing on messages made before owners existed. */
  ownerId?: string | null;
}

/** A process that has the store open, with its lease (store/ownership.ts). */
export interface OwnerDoc {
  _key: string;
  identity: string;
  startedAt: string;
  /** Milliseconds since the epoch, by the server's clock. */
  leaseExpiresAt: number;
}

export interface EventDoc {
  _key: string;
  seq: number;
  type: string;
  payload: JsonObject;
  createdAt: string;
}

export interface CounterDoc {
  _key: CounterKey;
  value: number;
}
