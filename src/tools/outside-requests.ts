/**
 * The host's side of a tool call's outside requests. A forged tool has no network: its `ctx.fetch`
 * sends each request over the runner's channel to here, where it is made — through src/egress,
 * which allows only the hosts a person granted this version, adds a grant's credential for its own
 * host, and refuses private addresses a person did not grant — within the call's deadline. Each
 * request is an event (`tool.request`: host, method, status, bytes, time; never a credential, a
 * path or a body).
 */
import {
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  performRequest,
  type HostGrant,
} from "../egress/index.js";
import type { EgressHooks, OutboundRequest, OutboundResponse, OutboundResult } from "../egress/types.js";
import type { EventBus, OutsideRequestRecord } from "../events.js";
import type { Store } from "../store/types.js";
import type { Consent } from "./consent.js";
import type { RegisteredTool } from "./types.js";

export interface OutsideRequestOptions {
  store: Store;
  bus?: EventBus | undefined;
  /** Loopback hosts a person granted may be reached (EGRESS_ALLOW_LOOPBACK: tests on one machine). */
  allowLoopback: boolean;
  /** Test hooks (how names resolve, which CAs HTTPS trusts); production leaves them out. */
  hooks?: EgressHooks | undefined;
  /** Told of each request once it ended (the call keeps them with its outcome). */
  onRecord?: ((record: OutsideRequestRecord) => void) | undefined;
}

/** What a request is answered with, over the runner's channel (the response, or why it was refused). */
export type OutsideAnswer = ({ ok: true } & OutboundResponse) | { ok: false; refused: string };

/** The handler for one call's requests: the standing grants of this version, until `deadline` (epoch ms). */
export async function outsideRequests(
  options: OutsideRequestOptions,
  tool: RegisteredTool,
  consent: Consent,
  deadline: number,
): Promise<(request: OutboundRequest) => Promise<OutsideAnswer>> {
  const grants: HostGrant[] = [];
  for (const granted of consent.granted) {
    const credential = granted.credentialHeader ? await options.store.grantCredential(granted.grantId) : null;
    grants.push({
      // A host on the person's own network may speak plain http (and reach private addresses).
      host: granted.privateNetwork ? `http://${granted.host}` : granted.host,
      ...(granted.privateNetwork ? { privateNetwork: true } : {}),
      ...(credential ? { credential } : {}),
    });
  }
  const policy = {
    grants,
    deadline,
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    maxRedirects: DEFAULT_MAX_REDIRECTS,
    allowLoopback: options.allowLoopback,
    ...options.hooks,
  };
  return async (request) => {
    const result: OutboundResult = await performRequest(request, policy);
    const { record } = result;
    const kept: OutsideRequestRecord = {
      host: record.host,
      method: record.method,
      status: record.status,
      bytes: record.bytes,
      durationMs: record.durationMs,
      refused: record.refused,
    };
    options.onRecord?.(kept);
    options.bus?.publish({ type: "tool.request", name: tool.name, version: tool.version, ...kept });
    return result.ok ? { ok: true, ...result.response } : { ok: false, refused: result.refused };
  };
}
