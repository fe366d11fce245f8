/**
 * A person's answers to a tool asking for hosts: grant (for this version and the versions after it,
 * or this version only), deny, revoke. The one place every face answers through — the console,
 * `toolforge tools grant | revoke`, the HTTP routes, an MCP client's elicitation, a resumed graph —
 * so the rules are the same everywhere: only hosts the tool's active version declares, a credential
 * for one host at a time, and an event for each answer (never with the credential).
 */
import { InvalidInputError } from "../errors.js";
import type { EventBus } from "../events.js";
import type { Store } from "../store/types.js";
import type { ToolGrant } from "../store/grant-types.js";
import { consentOf, type Consent } from "./consent.js";
import { noSuchTool } from "./no-such-tool.js";

export interface GrantAnswer {
  decision: "grant" | "deny";
  /** "tool" (default): this version and the ones after it; "version": this version only. */
  scope?: "tool" | "version";
  /** The hosts answered for (default: every host the active version declares). */
  hosts?: readonly string[];
  /** A credential the host adds to requests to the host (one host at a time). */
  credential?: { header: string; value: string } | null;
  /** The hosts are on the person's own network: they may resolve to private addresses, and plain http is allowed. */
  privateNetwork?: boolean;
}

export interface GrantsDeps {
  store: Store;
  bus?: EventBus | undefined;
}

/** Records a person's answer for a tool's hosts; returns the answers recorded. */
export async function answerGrants(deps: GrantsDeps, toolName: string, answer: GrantAnswer): Promise<ToolGrant[]> {
  const tool = await deps.store.getTool(toolName);
  if (!tool) throw noSuchTool(toolName);
  if (tool.hosts.length === 0) throw new InvalidInputError(`the tool "${toolName}" calls no host: there is nothing to grant`);
  const hosts = answer.hosts?.length ? [...new Set(answer.hosts)] : tool.hosts;
  const undeclared = hosts.filter((host) => !tool.hosts.includes(host));
  if (undeclared.length) {
    throw new InvalidInputError(
      `the tool "${toolName}" (v${tool.activeVersion}) does not call ${undeclared.join(", ")}; it declares ${tool.hosts.join(", ")}`,
      "grant only the hosts the tool declares",
    );
  }
  const credential = answer.credential ?? null;
  if (credential && (answer.decision !== "grant" || hosts.length !== 1)) {
    throw new InvalidInputError("a credential is given with a grant of exactly one host", "grant the host that needs it on its own");
  }
  const recorded: ToolGrant[] = [];
  for (const host of hosts) {
    const grant = await deps.store.recordGrant({
      toolName,
      host,
      version: tool.activeVersion,
      onlyThisVersion: answer.scope === "version",
      decision: answer.decision === "grant" ? "granted" : "denied",
      credential,
      privateNetwork: answer.privateNetwork === true,
    });
    recorded.push(grant);
    deps.bus?.publish({
      type: grant.decision === "granted" ? "tool.granted" : "tool.denied",
      name: toolName,
      version: grant.version,
      host,
      onlyThisVersion: grant.onlyThisVersion,
    });
  }
  return recorded;
}

/** Revokes every standing answer for these hosts of a tool (all of its hosts by default); the next call asks again. */
export async function revokeGrants(deps: GrantsDeps, toolName: string, hosts?: readonly string[]): Promise<number> {
  const tool = await deps.store.getTool(toolName);
  if (!tool) throw noSuchTool(toolName);
  let revoked = 0;
  for (const host of hosts?.length ? hosts : tool.hosts) {
    const count = await deps.store.revokeGrants(toolName, host);
    revoked += count;
    if (count > 0) deps.bus?.publish({ type: "tool.revoked", name: toolName, host });
  }
  return revoked;
}

/** A tool's hosts and where each stands now for its active version, with every answer given (no credential). */
export async function grantsOf(
  store: Store,
  toolName: string,
): Promise<{ version: number; hosts: string[]; consent: Consent; answers: ToolGrant[] }> {
  const tool = await store.getTool(toolName);
  if (!tool) throw noSuchTool(toolName);
  const answers = await store.listGrants(toolName);
  return {
    version: tool.activeVersion,
    hosts: tool.hosts,
    consent: consentOf({ version: tool.activeVersion, hosts: tool.hosts }, answers),
    answers,
  };
}
