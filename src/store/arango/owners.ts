/**
 * This open's owner document in ArangoDB (see store/ownership.ts): registered at open, its lease
 * renewed on a timer, removed at close; and the recovery of dead owners' work in one stream
 * transaction. Leases are written and judged with the SERVER's clock (AQL `DATE_NOW()`), because
 * the processes sharing one database may run on machines whose clocks disagree. The transaction
 * holds Owners exclusively, so two processes recovering at once take turns and the second finds
 * nothing left to take.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "arangojs";
import { aql } from "arangojs/aql";
import type { Diagnostics } from "../../diagnostics.js";
import { currentProcess, formatIdentity } from "../../util/process-identity.js";
import { INTERRUPTED_FORGE_RUN, INTERRUPTED_MESSAGE, judgeOwners, renewEvery, type OwnerLease } from "../ownership.js";
import type { OwnerPart } from "../parts.js";
import type { RecoveredWork } from "../types.js";
import { COLLECTIONS, type ForgeRunDoc, type MessageDoc, type OwnerDoc } from "./collections.js";
import { toMessageRecord } from "./mapping.js";
import { inTransaction, queryAll, noTransaction } from "./transaction.js";

export class ArangoOwner implements OwnerPart {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private readonly owners;
  private readonly messages;
  private readonly runs;

  constructor(
    private readonly db: Database,
    private readonly leaseMs: number,
    private readonly diagnostics: Diagnostics,
  ) {
    this.owners = db.collection<OwnerDoc>(COLLECTIONS.owners);
    this.messages = db.collection<MessageDoc>(COLLECTIONS.messages);
    this.runs = db.collection<ForgeRunDoc>(COLLECTIONS.forgeRuns);
  }

  /** Registers this owner and starts renewing its lease. */
  async start(): Promise<void> {
    await this.renew();
    this.timer = renewEvery(this.id, this.leaseMs, () => this.renew(), this.diagnostics);
  }

  /** Inserts the document, or extends its lease (re-inserting it if a recovery removed it meanwhile). */
  async renew(): Promise<void> {
    const identity = formatIdentity(currentProcess());
    await queryAll(
      this.db,
      noTransaction,
      aql`
      UPSERT { _key: ${this.id} }
        INSERT { _key: ${this.id}, identity: ${identity}, startedAt: ${new Date().toISOString()}, leaseExpiresAt: DATE_NOW() + ${this.leaseMs} }
        UPDATE { leaseExpiresAt: DATE_NOW() + ${this.leaseMs} }
        IN ${this.owners}`,
    );
  }

  /** Stops renewing and removes the document: whatever this owner still held is left for recovery. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await queryAll(this.db, noTransaction, aql`REMOVE ${this.id} IN ${this.owners} OPTIONS { ignoreErrors: true }`);
  }

  recover(): Promise<RecoveredWork> {
    const collections = { exclusive: [COLLECTIONS.owners], write: [COLLECTIONS.messages, COLLECTIONS.forgeRuns] };
    return inTransaction(this.db, collections, async (step) => {
      const owners = await queryAll<OwnerLease>(
        this.db,
        step,
        aql`
        FOR o IN ${this.owners} RETURN { id: o._key, identity: o.identity, expired: o.leaseExpiresAt < DATE_NOW() }`,
      );
      // A missing `ownerId` reads as null in AQL, which is never in `live`: nobody holds it.
      const { dead, live } = judgeOwners(owners, this.id);
      const at = new Date().toISOString();
      const requeued = await queryAll<MessageDoc>(
        this.db,
        step,
        aql`
        FOR m IN ${this.messages}
          FILTER m.status == "pending" AND m.ownerId NOT IN ${live}
          UPDATE m WITH { ownerId: ${this.id} } IN ${this.messages}
          RETURN NEW`,
      );
      const interruptedMessages = await queryAll<string>(
        this.db,
        step,
        aql`
        FOR m IN ${this.messages}
          FILTER m.status == "running" AND m.ownerId NOT IN ${live}
          UPDATE m WITH { status: "failed", error: ${INTERRUPTED_MESSAGE}, finishedAt: ${at} } IN ${this.messages}
          RETURN NEW._key`,
      );
      const interruptedForgeRuns = await queryAll<string>(
        this.db,
        step,
        aql`
        FOR r IN ${this.runs}
          FILTER r.status == "running" AND r.ownerId NOT IN ${live}
          UPDATE r WITH { status: "failed", error: ${INTERRUPTED_FORGE_RUN}, finishedAt: ${at} } IN ${this.runs}
          RETURN NEW._key`,
      );
      await queryAll(this.db, step, aql`FOR id IN ${dead} REMOVE id IN ${this.owners} OPTIONS { ignoreErrors: true }`);
      requeued.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a._key.localeCompare(b._key));
      return { requeued: requeued.map(toMessageRecord), interruptedMessages, interruptedForgeRuns };
    });
  }
}
