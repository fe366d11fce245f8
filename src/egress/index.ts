/**
 * The egress room: the host side of a forged tool's outside request. Forged code has no network;
 * its `ctx.fetch` travels over the runner's channel to the host, which checks it against the
 * grants a person gave and makes it (docs/egress.md).
 */
export { performRequest } from "./request.js";
export { parseGrantHost, type GrantOrigin } from "./grants.js";
export { classifyAddress, type AddressClass, type AddressKind } from "./address.js";
export {
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  EgressPolicyError,
  type EgressPolicy,
  type EgressRecord,
  type EgressRefusalCode,
  type HostGrant,
  type Lookup,
  type OutboundRequest,
  type OutboundResponse,
  type OutboundResult,
  type ResolvedAddress,
} from "./types.js";
