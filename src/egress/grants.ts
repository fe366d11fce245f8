/**
 * Grants as the host reads them, and which grant a URL falls under. A grant names one exact host
 * (a name or an IP address) and a port; its scheme is HTTPS unless the person typed `http://`.
 * A URL matches a grant when host and port are the same and the scheme is allowed: HTTPS always,
 * plain HTTP only under a grant that starts with `http://` (which also allows the HTTPS upgrade on
 * port 443 when it names no port).
 */
import { isIP } from "node:net";
import { EgressPolicyError, EgressRefusal, type HostGrant } from "./types.js";
import { checkHeaderName, checkHeaderValue, isHostOwnedHeader } from "./headers.js";

const DEFAULT_PORTS = { "https:": 443, "http:": 80 } as const;
type Scheme = keyof typeof DEFAULT_PORTS;

/** A grant's host, parsed: what a URL is compared with. */
export interface GrantOrigin {
  scheme: "https" | "http";
  /** Lower case, without brackets or a trailing dot; IP addresses in their normal form; names in ASCII (punycode). */
  hostname: string;
  port: number;
  /** The person named the port. */
  explicitPort: boolean;
  /** The hostname is an IP address: the grant is for that address only. */
  ipLiteral: boolean;
}

/** A grant ready to match: its parsed origin with what the person gave. */
export interface ParsedGrant extends GrantOrigin {
  grant: HostGrant;
}

/**
 * The host of a grant as a person typed it, parsed and checked: "api.example.com",
 * "api.example.com:8443", "192.168.1.20", "[fd12::1]:8080", "http://nas.lan:5000". Throws
 * `EgressPolicyError` naming what is wrong (a path, a wildcard, a user name, another scheme).
 */
export function parseGrantHost(text: string): GrantOrigin {
  const typed = text.trim();
  const refuse = (why: string) =>
    new EgressPolicyError(
      `the grant host ${JSON.stringify(text)} ${why}`,
      'name one host, optionally with a port: "api.example.com", "api.example.com:8443", "192.168.1.20", or "http://nas.lan:5000" for plain http',
    );
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(typed);
  if (schemeMatch && !["http", "https"].includes(schemeMatch[1]!.toLowerCase()))
    throw refuse(`has the scheme ${schemeMatch[1]}: only http and https`);
  let url: URL;
  try {
    url = new URL(schemeMatch ? typed : `https://${typed}`);
  } catch {
    throw refuse("is not a host name or address");
  }
  if (url.username || url.password) throw refuse("holds a user name or password: a credential goes in the grant's credential");
  if (url.pathname !== "/" || url.search || url.hash) throw refuse("has a path: a grant is for a whole host");
  const hostname = bareHostname(url);
  if (!isIP(hostname) && !/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(hostname)) throw refuse("is not one exact host (no wildcards)");
  const scheme = url.protocol as Scheme;
  return {
    scheme: scheme === "http:" ? "http" : "https",
    hostname,
    port: url.port ? Number(url.port) : DEFAULT_PORTS[scheme],
    explicitPort: url.port !== "",
    ipLiteral: isIP(hostname) !== 0,
  };
}

/** Every grant of a policy parsed, its credential checked; throws `EgressPolicyError` for the first that is unusable. */
export function parseGrants(grants: readonly HostGrant[]): ParsedGrant[] {
  return grants.map((grant) => {
    const origin = parseGrantHost(grant.host);
    if (grant.credential) checkCredential(grant.host, grant.credential);
    return { ...origin, grant };
  });
}

function checkCredential(host: string, credential: { header: string; value: string }): void {
  const name = credential.header.toLowerCase();
  // The reasons name the header, never the value.
  const problem =
    checkHeaderName(name) ?? (isHostOwnedHeader(name) ? "is one the host sets itself" : null) ?? checkHeaderValue(credential.value);
  if (problem !== null) {
    throw new EgressPolicyError(
      `the credential of the grant for ${host} cannot be sent: its header ${JSON.stringify(credential.header)} ${problem}`,
      "give the credential as one header name (e.g. Authorization) and a value on one line",
    );
  }
}

/** The hostname of a URL as grants compare it: no brackets, no trailing dot. */
export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
}

/** The port of a URL, the scheme's default when it names none. */
function portOf(url: URL): number {
  return url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol as Scheme];
}

/** "api.example.com", "127.0.0.1:8080", "[::1]:8080": a URL's host as a grant would name it (for records and refusals). */
export function hostLabel(url: URL): string {
  const hostname = bareHostname(url);
  const shown = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  return url.port ? `${shown}:${url.port}` : shown;
}

/** The grant a URL (http or https) falls under; refuses, saying what is granted, when none does. */
export function grantFor(url: URL, grants: readonly ParsedGrant[], what = `the host ${hostLabel(url)}`): ParsedGrant {
  const hostname = bareHostname(url);
  const port = portOf(url);
  const sameHost = grants.filter((g) => g.hostname === hostname);
  const match =
    url.protocol === "https:"
      ? sameHost.find((g) => g.port === port || (g.scheme === "http" && !g.explicitPort && port === 443))
      : sameHost.find((g) => g.scheme === "http" && g.port === port);
  if (match) return match;
  if (url.protocol === "http:" && sameHost.some((g) => g.port === port || (!g.explicitPort && port === 80))) {
    throw new EgressRefusal(
      "insecure_scheme",
      `plain http to ${hostLabel(url)} is refused: it is granted for https only; use https://${hostLabel(url)}/…, or a person grants "http://${hostLabel(url)}"`,
    );
  }
  const granted = grants.length === 0 ? "no host is granted" : `granted: ${grants.map((g) => g.grant.host).join(", ")}`;
  throw new EgressRefusal("not_granted", `${what} is not granted to this tool (${granted}); a person can grant it`);
}
