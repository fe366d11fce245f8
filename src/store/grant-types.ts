/** The store's records of what people answered when a tool asked for a host (grants.ts of each adapter keeps them). */

/**
 * A person's answer to a tool asking for a host: granted or denied, for the version it was given
 * for and (unless `onlyThisVersion`) the versions after it. Revoked grants are kept, with the time.
 */
export interface ToolGrant {
  id: string;
  toolName: string;
  host: string;
  /** The version the person answered for. */
  version: number;
  /** Holds for that version only (a later version asks again). */
  onlyThisVersion: boolean;
  decision: "granted" | "denied";
  /** The header of the credential the host adds for this host (its value is never read back but by the call path). */
  credentialHeader: string | null;
  /** The person granted it as a host on their own network: it may resolve to a private address, and plain http is allowed. */
  privateNetwork: boolean;
  createdAt: string;
  revokedAt: string | null;
}

export interface NewToolGrant {
  toolName: string;
  host: string;
  version: number;
  onlyThisVersion: boolean;
  decision: "granted" | "denied";
  credential?: { header: string; value: string } | null;
  /** See ToolGrant.privateNetwork (default false). */
  privateNetwork?: boolean;
}
