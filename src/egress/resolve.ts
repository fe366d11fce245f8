/**
 * Where a granted host may be reached. A name is resolved and every address it gives must be
 * allowed: public, or allowed by the grant (an IP-literal grant for that exact address, a name the
 * person marked as on their own network; loopback only with `allowLoopback`; cloud metadata only by
 * its exact address). The check runs before the request, and again inside the connection's own
 * lookup, on the addresses the socket then connects to, so a name that re-resolves elsewhere
 * between the two (DNS rebinding) is refused, not followed.
 */
import { promises as dns, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { classifyAddress } from "./address.js";
import type { ParsedGrant } from "./grants.js";
import { EgressRefusal, type Lookup, type ResolvedAddress } from "./types.js";

export const systemLookup: Lookup = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** Why the grant does not let `address` be reached, or null when it does. `named` says how the address was reached ("api.x.com resolved to"). */
function addressRefusal(address: string, grant: ParsedGrant, allowLoopback: boolean, named: string): EgressRefusal | null {
  const { kind, label } = classifyAddress(address);
  if (kind === "public") return null;
  const refuse = (why: string) => new EgressRefusal("private_address", `${named} ${address}, ${label}: ${why}`);
  if (kind === "loopback" && !allowLoopback) {
    return refuse("loopback hosts are refused on this server (the loopback setting, for tests on one machine, is off)");
  }
  if (grant.ipLiteral && grant.hostname === address.replace(/%.*$/, "")) return null;
  if (kind === "cloud-metadata") return refuse("a tool reaches it only through a grant of that exact address");
  if (grant.grant.privateNetwork === true) return null;
  return refuse(
    `a tool reaches such an address only when a person grants ${grant.grant.host} as a host on their own network, or grants that exact address`,
  );
}

/** Resolves a hostname (an IP literal stands for itself) and checks every address; refuses with the first that is not allowed. */
export async function resolveAllowed(
  hostname: string,
  grant: ParsedGrant,
  options: { lookup: Lookup; allowLoopback: boolean; when?: string },
): Promise<readonly ResolvedAddress[]> {
  const version = isIP(hostname);
  let addresses: readonly ResolvedAddress[];
  let named: string;
  if (version !== 0) {
    addresses = [{ address: hostname, family: version === 6 ? 6 : 4 }];
    named = "the address is";
  } else {
    try {
      addresses = await options.lookup(hostname);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new EgressRefusal("network", `the name ${hostname} does not resolve${code ? ` (${code})` : ""}`);
    }
    if (addresses.length === 0) throw new EgressRefusal("network", `the name ${hostname} resolves to no address`);
    named = `${hostname} resolved${options.when ? ` ${options.when}` : ""} to`;
  }
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, grant, options.allowLoopback, named);
    if (refusal) throw refusal;
  }
  return addresses;
}

/**
 * The `lookup` of a request's socket: resolves again, checks again, and hands the socket only
 * addresses that passed (in the form Node asks for: all of them, or the first).
 */
export function checkedConnectLookup(grant: ParsedGrant, options: { lookup: Lookup; allowLoopback: boolean }): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolveAllowed(hostname, grant, { ...options, when: "again at connect time" }).then(
      (addresses) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : undefined;
        const usable: LookupAddress[] = addresses.filter((a) => family === undefined || a.family === family);
        if (usable.length === 0) return callback(new EgressRefusal("network", `${hostname} has no IPv${family} address`), "", 0);
        if (lookupOptions.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
        callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, "", 0),
    );
  };
}
