/**
 * A LangGraph checkpointer on ArangoDB (none is published), following LangGraph's own savers:
 *  - Checkpoints: one document per (thread, namespace, checkpoint id) holding the serialized
 *    checkpoint WITHOUT its channel values, the serialized metadata (plus a plain copy of it for
 *    `list` filters) and the channel versions it refers to;
 *  - CheckpointBlobs: one document per (thread, namespace, channel, version) — as in the Postgres
 *    saver, `put` stores only the channels named in `newVersions`, and reading a checkpoint joins
 *    the value of each channel at the version the checkpoint records;
 *  - CheckpointWrites: pending writes per (thread, namespace, checkpoint, task, index), returned in
 *    LangGraph's write order (task path, task id, index).
 * Checkpoints older than format v4 get their pending sends migrated on read, as SqliteSaver does.
 * Values go through `this.serde` and are stored as { type, base64 data }, so any serializer works.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  compareWritesSortKeys,
  copyCheckpoint,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import type { Database } from "arangojs";
import { aql, join, type AqlQuery } from "arangojs/aql";
import { COLLECTIONS, derivedKey } from "./collections.js";
import { inTransaction, noTransaction, queryAll } from "./transaction.js";

interface Serialized {
  type: string;
  data: string; // base64
}

interface CheckpointDoc {
  _key: string;
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  parentCheckpointId: string | null;
  /** The checkpoint without channel_values. */
  checkpoint: Serialized;
  metadata: Serialized;
  /** Plain JSON copy of the metadata, for `list` filters (null when the serializer is not JSON). */
  metadataJson: Record<string, unknown> | null;
  /** channel → version (as a string) of the blob holding the channel's value. */
  blobVersions: Record<string, string>;
}

interface BlobDoc extends Serialized {
  _key: string;
  threadId: string;
  checkpointNs: string;
  channel: string;
  version: string;
}

interface WriteDoc extends Serialized {
  _key: string;
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  taskId: string;
  taskPath: string;
  idx: number;
  channel: string;
}

type WriteRow = Pick<WriteDoc, "taskId" | "taskPath" | "idx" | "channel" | "type" | "data">;

interface CheckpointRow {
  doc: CheckpointDoc;
  blobs: Pick<BlobDoc, "channel" | "type" | "data">[];
  writes: WriteRow[];
  /** TASKS writes against the parent checkpoint (used to migrate pre-v4 checkpoints). */
  parentSends: WriteRow[];
}

/** Marks a channel that had no value at its version (as the Postgres saver does). */
const EMPTY = "empty";

export class ArangoSaver extends BaseCheckpointSaver {
  private readonly checkpoints;
  private readonly blobs;
  private readonly writes;

  constructor(
    private readonly db: Database,
    serde?: SerializerProtocol,
  ) {
    super(serde);
    this.checkpoints = db.collection<CheckpointDoc>(COLLECTIONS.checkpoints);
    this.blobs = db.collection<BlobDoc>(COLLECTIONS.checkpointBlobs);
    this.writes = db.collection<WriteDoc>(COLLECTIONS.checkpointWrites);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.["thread_id"] as string | undefined;
    const checkpointNs = (config.configurable?.["checkpoint_ns"] as string | undefined) ?? "";
    const checkpointId = config.configurable?.["checkpoint_id"] as string | undefined;
    if (threadId === undefined) return undefined;
    const filters = [aql`FILTER c.threadId == ${threadId} AND c.checkpointNs == ${checkpointNs}`];
    if (checkpointId) filters.push(aql`FILTER c.checkpointId == ${checkpointId}`);
    const [row] = await this.rows(filters, 1);
    return row ? this.toTuple(row) : undefined;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options;
    const threadId = config.configurable?.["thread_id"] as string | undefined;
    const checkpointNs = config.configurable?.["checkpoint_ns"] as string | undefined | null;
    const beforeId = before?.configurable?.["checkpoint_id"] as string | undefined;
    const filters: AqlQuery[] = [];
    if (threadId) filters.push(aql`FILTER c.threadId == ${threadId}`);
    if (checkpointNs !== undefined && checkpointNs !== null) filters.push(aql`FILTER c.checkpointNs == ${checkpointNs}`);
    if (beforeId !== undefined) filters.push(aql`FILTER c.checkpointId < ${beforeId}`);
    for (const [key, value] of Object.entries(filter ?? {})) {
      if (value !== undefined) filters.push(aql`FILTER c.metadataJson[${key}] == ${value}`);
    }
    // As in SqliteSaver, a missing or zero limit means no limit.
    for (const row of await this.rows(filters, limit ? Math.max(1, Math.floor(Number(limit))) : null)) {
      yield await this.toTuple(row);
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    if (!config.configurable) throw new Error("Empty configuration supplied.");
    const threadId = config.configurable["thread_id"] as string | undefined;
    const checkpointNs = (config.configurable["checkpoint_ns"] as string | undefined) ?? "";
    const parentCheckpointId = (config.configurable["checkpoint_id"] as string | undefined) ?? null;
    if (!threadId) throw new Error(`Missing "thread_id" field in passed "config.configurable".`);

    const { channel_values: values, ...withoutValues } = copyCheckpoint(checkpoint);
    const blobDocs: BlobDoc[] = await Promise.all(
      Object.entries(newVersions).map(async ([channel, version]) => {
        const serialized = channel in values ? await this.dump(values[channel]) : { type: EMPTY, data: "" };
        return {
          _key: derivedKey(threadId, checkpointNs, channel, String(version)),
          threadId,
          checkpointNs,
          channel,
          version: String(version),
          ...serialized,
        };
      }),
    );
    const serializedMetadata = await this.dump(metadata);
    const doc: CheckpointDoc = {
      _key: derivedKey(threadId, checkpointNs, checkpoint.id),
      threadId,
      checkpointNs,
      checkpointId: checkpoint.id,
      parentCheckpointId,
      checkpoint: await this.dump(withoutValues),
      metadata: serializedMetadata,
      metadataJson:
        serializedMetadata.type === "json"
          ? (JSON.parse(Buffer.from(serializedMetadata.data, "base64").toString("utf8")) as Record<string, unknown>)
          : null,
      blobVersions: Object.fromEntries(Object.entries(checkpoint.channel_versions).map(([channel, version]) => [channel, String(version)])),
    };
    await inTransaction(this.db, { write: [COLLECTIONS.checkpoints, COLLECTIONS.checkpointBlobs] }, async (step) => {
      if (blobDocs.length > 0) {
        await queryAll(this.db, step, aql`FOR b IN ${blobDocs} INSERT b INTO ${this.blobs} OPTIONS { overwriteMode: "replace" }`);
      }
      await queryAll(this.db, step, aql`INSERT ${doc} INTO ${this.checkpoints} OPTIONS { overwriteMode: "replace" }`);
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ""): Promise<void> {
    if (!config.configurable) throw new Error("Empty configuration supplied.");
    const threadId = config.configurable["thread_id"] as string | undefined;
    const checkpointNs = (config.configurable["checkpoint_ns"] as string | undefined) ?? "";
    const checkpointId = config.configurable["checkpoint_id"] as string | undefined;
    if (!threadId) throw new Error("Missing thread_id field in config.configurable.");
    if (!checkpointId) throw new Error("Missing checkpoint_id field in config.configurable.");
    // Special channels (errors, interrupts, …) replace what a task wrote before; others keep the first write.
    const overwriteMode = writes.every(([channel]) => channel in WRITES_IDX_MAP) ? "replace" : "ignore";
    const docs: WriteDoc[] = await Promise.all(
      writes.map(async ([channel, value], index) => {
        const idx = WRITES_IDX_MAP[channel] ?? index;
        return {
          _key: derivedKey(threadId, checkpointNs, checkpointId, taskId, idx),
          threadId,
          checkpointNs,
          checkpointId,
          taskId,
          taskPath,
          idx,
          channel,
          ...(await this.dump(value)),
        };
      }),
    );
    if (docs.length === 0) return;
    // One AQL query: atomic on a single server and in a OneShard database.
    await queryAll(this.db, noTransaction, aql`FOR w IN ${docs} INSERT w INTO ${this.writes} OPTIONS { overwriteMode: ${overwriteMode} }`);
  }

  async deleteThread(threadId: string): Promise<void> {
    const all = [this.checkpoints, this.blobs, this.writes];
    await inTransaction(this.db, { write: all.map((c) => c.name) }, async (step) => {
      for (const collection of all) {
        await queryAll(this.db, step, aql`FOR d IN ${collection} FILTER d.threadId == ${threadId} REMOVE d IN ${collection}`);
      }
    });
  }

  /** Thread ids of the root namespace, the thread with the newest checkpoint first. */
  threadIds(limit: number): Promise<string[]> {
    return queryAll<string>(
      this.db,
      noTransaction,
      aql`
      FOR c IN ${this.checkpoints}
        FILTER c.checkpointNs == ""
        COLLECT threadId = c.threadId AGGREGATE newest = MAX(c.checkpointId)
        SORT newest DESC
        LIMIT ${Math.max(1, Math.floor(limit))}
        RETURN threadId`,
    );
  }

  private rows(filters: AqlQuery[], limit: number | null): Promise<CheckpointRow[]> {
    return queryAll<CheckpointRow>(
      this.db,
      noTransaction,
      aql`
      FOR c IN ${this.checkpoints}
        ${join(filters, "\n")}
        SORT c.checkpointId DESC
        ${limit === null ? aql`` : aql`LIMIT ${limit}`}
        LET blobs = (
          FOR channel IN ATTRIBUTES(c.blobVersions)
            FOR b IN ${this.blobs}
              FILTER b.threadId == c.threadId AND b.checkpointNs == c.checkpointNs
                 AND b.channel == channel AND b.version == c.blobVersions[channel]
              RETURN KEEP(b, "channel", "type", "data"))
        LET writes = (
          FOR w IN ${this.writes}
            FILTER w.threadId == c.threadId AND w.checkpointNs == c.checkpointNs AND w.checkpointId == c.checkpointId
            RETURN KEEP(w, "taskId", "taskPath", "idx", "channel", "type", "data"))
        LET parentSends = c.parentCheckpointId == null ? [] : (
          FOR w IN ${this.writes}
            FILTER w.threadId == c.threadId AND w.checkpointNs == c.checkpointNs
               AND w.checkpointId == c.parentCheckpointId AND w.channel == ${TASKS}
            RETURN KEEP(w, "taskId", "taskPath", "idx", "channel", "type", "data"))
        RETURN { doc: c, blobs, writes, parentSends }`,
    );
  }

  private async toTuple(row: CheckpointRow): Promise<CheckpointTuple> {
    const { doc } = row;
    const stored = (await this.load(doc.checkpoint)) as Omit<Checkpoint, "channel_values">;
    const channelValues: Record<string, unknown> = {};
    for (const blob of row.blobs) {
      if (blob.type !== EMPTY) channelValues[blob.channel] = await this.load(blob);
    }
    const checkpoint: Checkpoint = { ...stored, channel_values: channelValues };
    if (checkpoint.v < 4 && doc.parentCheckpointId !== null) await this.migratePendingSends(checkpoint, row.parentSends);
    const pendingWrites: CheckpointPendingWrite[] = [];
    for (const write of sortWrites(row.writes)) pendingWrites.push([write.taskId, write.channel, await this.load(write)]);
    const configurable = { thread_id: doc.threadId, checkpoint_ns: doc.checkpointNs };
    return {
      config: { configurable: { ...configurable, checkpoint_id: doc.checkpointId } },
      checkpoint,
      metadata: (await this.load(doc.metadata)) as CheckpointMetadata,
      parentConfig: doc.parentCheckpointId ? { configurable: { ...configurable, checkpoint_id: doc.parentCheckpointId } } : undefined,
      pendingWrites,
    };
  }

  /** Checkpoints before format v4 kept sends as writes of the parent checkpoint; expose them as the TASKS channel. */
  private async migratePendingSends(checkpoint: Checkpoint, parentSends: WriteRow[]): Promise<void> {
    checkpoint.channel_values[TASKS] = await Promise.all(sortWrites(parentSends).map((write) => this.load(write)));
    checkpoint.channel_versions[TASKS] =
      Object.keys(checkpoint.channel_versions).length > 0
        ? maxChannelVersion(...Object.values(checkpoint.channel_versions))
        : this.getNextVersion(undefined);
  }

  private async dump(value: unknown): Promise<Serialized> {
    const [type, bytes] = await this.serde.dumpsTyped(value);
    return { type, data: Buffer.from(bytes).toString("base64") };
  }

  private load(serialized: Serialized): Promise<unknown> {
    return this.serde.loadsTyped(serialized.type, new Uint8Array(Buffer.from(serialized.data, "base64")));
  }
}

function sortWrites(writes: WriteRow[]): WriteRow[] {
  return [...writes].sort((a, b) =>
    compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)),
  );
}
