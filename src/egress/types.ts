/** The egress room's contract: a tool's outside request, the policy the host checks it against, what comes back. */
import { ToolForgeError } from "../errors.js";

/** The response body a request may bring back unless the policy says otherwise. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** The request (URL, headers and body) a tool may send unless the policy says otherwise. */
export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;
/** The redirects one request may follow unless the policy says otherwise. */
export const DEFAULT_MAX_REDIRECTS = 5;

/** The methods a tool may use. */
export const EGRESS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

export interface HostGrant {
  /**
   * The host the grant is for, as a person typed it: "api.frankfurter.app", "api.example.com:8443",
   * "192.168.1.20", "http://192.168.1.20:8123". HTTPS unless it starts with `http://`. A name or an
   * address, never a wildcard or a path (see `parseGrantHost`).
   */
  host: string;
  /**
   * The person says this host is on their own network: its name may resolve to private, link-local
   * or unique-local addresses (loopback also needs `allowLoopback`). A grant of an IP literal is for
   * that exact address and needs no mark. Without it a name must resolve to public addresses only.
   */
  privateNetwork?: boolean;
  /** A credential the host adds to requests to THIS host only (e.g. Authorization: Bearer …); never returned, logged or put in an error. */
  credential?: { header: string; value: string };
}

/** One address a name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** How names resolve: every address of a name (the default is node:dns `lookup` with `all: true`). */
export type Lookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface EgressPolicy {
  grants: readonly HostGrant[];
  /** Epoch ms: the call's deadline; the request (with redirects) must end before it. */
  deadline: number;
  /** The response body's limit in bytes (after decompression): a larger body is refused, read no further (DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes: number;
  /** The request's limit in bytes: URL, headers and body together (DEFAULT_MAX_REQUEST_BYTES). */
  maxRequestBytes: number;
  /** How many redirects one request may follow (DEFAULT_MAX_REDIRECTS). */
  maxRedirects: number;
  /** Loopback hosts may be reached only with this on (tests on one machine; the config refuses it with a public listen address). */
  allowLoopback: boolean;
  /** Test hook only: how names resolve (default: node:dns lookup, all addresses). */
  lookup?: Lookup;
  /** Test hook only: the certificate authorities HTTPS trusts, instead of Node's bundled ones. */
  ca?: string;
}

/** The policy's test hooks alone (how names resolve, which CAs HTTPS trusts): production leaves them out. */
export type EgressHooks = Partial<Pick<EgressPolicy, "lookup" | "ca">>;

export interface OutboundRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
}

/** Why a request was refused or cut, for code that acts on it (the consent flow asks a person on `not_granted`). */
export type EgressRefusalCode =
  | "invalid_request"
  | "forbidden_header"
  | "request_too_large"
  | "not_granted"
  | "insecure_scheme"
  | "private_address"
  | "too_many_redirects"
  | "response_too_large"
  | "deadline"
  | "network";

/** One outside request, for the event log: never a credential, never a URL's path or query. */
export interface EgressRecord {
  /** The host asked for, as a grant names it: "api.example.com", "127.0.0.1:8080". */
  host: string;
  method: string;
  /** The last response's status, null when none came. */
  status: number | null;
  /** Response body bytes read (after decompression), up to the cut when the body was too large. */
  bytes: number;
  durationMs: number;
  /** How many redirects were followed. */
  redirects: number;
  refused: string | null;
  code: EgressRefusalCode | null;
}

export interface OutboundResponse {
  status: number;
  statusText: string;
  /** Lower-case names; Set-Cookie and hop-by-hop headers left out; a credential's value replaced. */
  headers: Record<string, string>;
  /** The body, decompressed; "utf8" when it is valid UTF-8, else "base64". */
  body: string;
  bodyEncoding: "utf8" | "base64";
  /** The URL that answered (after redirects). */
  url: string;
  redirected: boolean;
}

export type OutboundResult =
  | { ok: true; response: OutboundResponse; record: EgressRecord }
  | {
      ok: false;
      /** Why, in words a person and a model can act on; never the credential. */
      refused: string;
      code: EgressRefusalCode;
      record: EgressRecord;
    };

/** A request refused or cut: `message` is safe to show the tool (it never holds a credential). */
export class EgressRefusal extends Error {
  readonly code: EgressRefusalCode;

  constructor(code: EgressRefusalCode, message: string) {
    super(message);
    this.name = "EgressRefusal";
    this.code = code;
  }
}

/** The policy itself is unusable (a grant's host or credential, a limit): the host's data, not the tool's request. */
export class EgressPolicyError extends ToolForgeError {
  constructor(message: string, hint: string) {
    super("egress_policy_invalid", message, { hint });
  }
}
