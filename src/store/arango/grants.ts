/** A person's grants of the hosts tools call, in ArangoDB: each answer one document and one event, in one stream transaction. */
import { randomUUID } from "node:crypto";
import type { Database } from "arangojs";
import { aql } from "arangojs/aql";
import { checkHost, checkNewToolGrant, grantEvent } from "../artifact.js";
import { checkToolName } from "../ids.js";
import type { GrantsPart } from "../parts.js";
import type { NewToolGrant, ToolGrant } from "../grant-types.js";
import { COLLECTIONS, type ToolGrantDoc } from "./collections.js";
import { counterCollections, inTransaction, insertEvent, noTransaction, queryAll, queryOne } from "./transaction.js";

function toGrant(doc: ToolGrantDoc): ToolGrant {
  return {
    id: doc._key,
    toolName: doc.toolName,
    host: doc.host,
    version: doc.version,
    onlyThisVersion: doc.onlyThisVersion,
    decision: doc.decision,
    credentialHeader: doc.credential?.header ?? null,
    privateNetwork: doc.privateNetwork === true,
    createdAt: doc.createdAt,
    revokedAt: doc.revokedAt,
  };
}

export class ArangoGrants implements GrantsPart {
  private readonly grants;

  constructor(private readonly db: Database) {
    this.grants = db.collection<ToolGrantDoc>(COLLECTIONS.toolGrants);
  }

  async record(input: NewToolGrant): Promise<ToolGrant> {
    const checked = checkNewToolGrant(input);
    return inTransaction(this.db, counterCollections([COLLECTIONS.toolGrants]), async (step) => {
      const at = new Date().toISOString();
      const doc: ToolGrantDoc = {
        _key: randomUUID(),
        toolName: checked.toolName,
        host: checked.host,
        version: checked.version,
        onlyThisVersion: checked.onlyThisVersion,
        decision: checked.decision,
        credential: checked.credential ?? null,
        privateNetwork: checked.privateNetwork === true,
        createdAt: at,
        revokedAt: null,
      };
      await step(() => this.grants.save(doc));
      const event = grantEvent(checked);
      await insertEvent(this.db, step, event.type, event.payload, at);
      return toGrant(doc);
    });
  }

  async revoke(toolName: string, host: string): Promise<number> {
    checkToolName(toolName);
    checkHost(host, `revoking for tool "${toolName}"`);
    return inTransaction(this.db, counterCollections([COLLECTIONS.toolGrants]), async (step) => {
      const at = new Date().toISOString();
      const revoked = await queryAll<string>(
        this.db,
        step,
        aql`
        FOR g IN ${this.grants} FILTER g.toolName == ${toolName} AND g.host == ${host} AND g.revokedAt == null
          UPDATE g WITH { revokedAt: ${at} } IN ${this.grants} RETURN NEW._key`,
      );
      if (revoked.length > 0) await insertEvent(this.db, step, "tool.revoked", { name: toolName, host, answers: revoked.length }, at);
      return revoked.length;
    });
  }

  async list(toolName: string): Promise<ToolGrant[]> {
    const docs = await queryAll<ToolGrantDoc>(
      this.db,
      noTransaction,
      aql`FOR g IN ${this.grants} FILTER g.toolName == ${toolName} SORT g.createdAt, g._key RETURN g`,
    );
    return docs.map(toGrant);
  }

  async credential(grantId: string): Promise<{ header: string; value: string } | null> {
    const doc = await queryOne<ToolGrantDoc>(this.db, noTransaction, aql`RETURN DOCUMENT(${this.grants}, ${grantId})`);
    return doc?.credential ?? null;
  }
}
