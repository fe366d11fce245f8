/**
 * Which hosts of a tool version a person has granted. A tool reaches a host only while the answer
 * standing for it says "granted": the latest answer not revoked that holds for this version — an
 * answer holds for the version it was given for and the versions after it, unless given for that
 * version only. So a new version that asks for a new host asks again, a rollback returns to the
 * answers of the version rolled back to, and a revocation holds from the next call.
 */
import type { ToolGrant } from "../store/grant-types.js";

export interface Consent {
  /** Hosts with a standing grant, and the grant (for its credential). */
  granted: { host: string; grantId: string; credentialHeader: string | null; privateNetwork: boolean }[];
  /** Hosts nobody has answered for yet (for this version). */
  missing: string[];
  /** Hosts a person denied. */
  denied: string[];
}

/** What a tool asks and of whom: the payload shown to a person (and in an interrupt). */
export interface ConsentRequest {
  tool: string;
  version: number;
  description: string;
  /** Every host the version declares. */
  hosts: string[];
  /** Those still to be answered. */
  missing: string[];
  /** Those a person denied. */
  denied: string[];
}

/** The standing answer for each host of `version` (see the file comment). */
export function consentOf(version: { version: number; hosts: readonly string[] }, grants: readonly ToolGrant[]): Consent {
  const consent: Consent = { granted: [], missing: [], denied: [] };
  for (const host of version.hosts) {
    const standing = grants
      .filter(
        (g) =>
          g.host === host && g.revokedAt === null && (g.onlyThisVersion ? g.version === version.version : g.version <= version.version),
      )
      .at(-1);
    if (!standing) consent.missing.push(host);
    else if (standing.decision === "denied") consent.denied.push(host);
    else
      consent.granted.push({
        host,
        grantId: standing.id,
        credentialHeader: standing.credentialHeader,
        privateNetwork: standing.privateNetwork,
      });
  }
  return consent;
}

/** A person reads this: what the tool asks, and how to answer. */
export function consentMessage(request: ConsentRequest): string {
  const parts: string[] = [];
  if (request.missing.length) {
    parts.push(
      `The tool "${request.tool}" (v${request.version}) needs to reach ${request.missing.join(", ")}, which no person has granted yet. ` +
        `To allow it: \`toolforge tools grant ${request.tool} ${request.missing.join(" ")}\`, or approve it in the console.`,
    );
  }
  if (request.denied.length) {
    parts.push(
      `A person denied "${request.tool}" access to ${request.denied.join(", ")}; it will not be called until that is granted ` +
        `(\`toolforge tools grant ${request.tool} ${request.denied.join(" ")}\`).`,
    );
  }
  return parts.join(" ");
}
