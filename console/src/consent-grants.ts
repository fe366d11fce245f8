/**
 * What the consent card sends for a person's answer (POST /tools/:name/grants bodies): one body
 * for a denial; for a grant, the hosts the person ticked as on their own network go with the
 * private-network mark and the others without it — the mark is never added for them.
 */
export type Answer = "grant" | "grant_version" | "deny";

export interface GrantBody {
  decision: "grant" | "deny";
  scope: "tool" | "version";
  hosts: string[];
  private_network?: boolean;
}

const DECISIONS: Record<Answer, Pick<GrantBody, "decision" | "scope">> = {
  grant: { decision: "grant", scope: "tool" },
  grant_version: { decision: "grant", scope: "version" },
  deny: { decision: "deny", scope: "tool" },
};

export function grantBodies(answer: Answer, hosts: readonly string[], ownNetwork: ReadonlySet<string>): GrantBody[] {
  const base = DECISIONS[answer];
  if (base.decision === "deny") return [{ ...base, hosts: [...hosts] }];
  const marked = hosts.filter((h) => ownNetwork.has(h));
  const plain = hosts.filter((h) => !ownNetwork.has(h));
  return [
    ...(marked.length ? [{ ...base, hosts: marked, private_network: true }] : []),
    ...(plain.length ? [{ ...base, hosts: plain }] : []),
  ];
}

/** The hosts a person marked as on their own network, after ticking or unticking one. */
export function withOwnNetwork(marked: ReadonlySet<string>, host: string, on: boolean): ReadonlySet<string> {
  const next = new Set(marked);
  if (on) next.add(host);
  else next.delete(host);
  return next;
}
