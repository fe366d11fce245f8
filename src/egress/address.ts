/**
 * What kind of address an IP address is, for the egress check: anything but a public unicast
 * address (loopback, private, carrier-grade NAT, link-local, cloud metadata, unique-local,
 * unspecified, multicast, broadcast, reserved) is reached only through a grant that says so.
 * IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002::/16) are classified by the IPv4 address they carry, so
 * `::ffff:127.0.0.1` is loopback like `127.0.0.1`.
 */
import { isIP } from "node:net";

export type AddressKind =
  | "public"
  | "loopback"
  | "private"
  | "carrier-grade-nat"
  | "link-local"
  | "cloud-metadata"
  | "unique-local"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "reserved";

export interface AddressClass {
  kind: AddressKind;
  /** The kind in words for a refusal: "a private address (RFC 1918)". */
  label: string;
}

const LABELS: Record<AddressKind, string> = {
  public: "a public address",
  loopback: "a loopback address",
  private: "a private address (RFC 1918)",
  "carrier-grade-nat": "a carrier-grade NAT address (100.64.0.0/10)",
  "link-local": "a link-local address",
  "cloud-metadata": "a cloud metadata address",
  "unique-local": "a unique-local IPv6 address (fc00::/7)",
  unspecified: "the unspecified address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved or special-purpose address",
};

// The most specific range first: the metadata addresses sit inside link-local and unique-local.
const RANGES: readonly (readonly [string, AddressKind])[] = [
  ["169.254.169.254/32", "cloud-metadata"],
  ["fd00:ec2::254/128", "cloud-metadata"],
  ["0.0.0.0/32", "unspecified"],
  ["0.0.0.0/8", "reserved"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "carrier-grade-nat"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "reserved"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "reserved"],
  ["203.0.113.0/24", "reserved"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b:1::/48", "private"],
  ["100::/64", "reserved"],
  ["2001::/32", "reserved"],
  ["2001:db8::/32", "reserved"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "private"],
  ["ff00::/8", "multicast"],
  ["::/96", "reserved"],
];

interface Range {
  bytes: Uint8Array;
  bits: number;
  kind: AddressKind;
}

const PARSED_RANGES: readonly Range[] = RANGES.map(([cidr, kind]) => {
  const [address, bits] = cidr.split("/") as [string, string];
  return { bytes: addressBytes(address)!, bits: Number(bits), kind };
});

/** The kind of an IP address (v4 or v6, a zone suffix like `%eth0` ignored); throws for a text that is no IP address. */
export function classifyAddress(address: string): AddressClass {
  const bytes = addressBytes(address);
  if (bytes === null) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  const kind = kindOf(bytes);
  return { kind, label: LABELS[kind] };
}

function kindOf(bytes: Uint8Array): AddressKind {
  const embedded = bytes.length === 16 ? embeddedIpv4(bytes) : null;
  if (embedded) return kindOf(embedded);
  for (const range of PARSED_RANGES) {
    if (range.bytes.length === bytes.length && inPrefix(bytes, range.bytes, range.bits)) return range.kind;
  }
  return "public";
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or null. */
function embeddedIpv4(bytes: Uint8Array): Uint8Array | null {
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  const last4 = bytes.subarray(12, 16);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return last4; // ::ffff:a.b.c.d
  // ::a.b.c.d (deprecated IPv4-compatible), but not :: and ::1, which are IPv6's own.
  if (zeros(0, 12) && !zeros(12, 15)) return last4;
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return last4; // 64:ff9b::/96
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.subarray(2, 6); // 2002:AABB:CCDD::/16
  return null;
}

function inPrefix(bytes: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i / 8]! & mask) !== (prefix[i / 8]! & mask)) return false;
  }
  return true;
}

/** 4 bytes for IPv4, 16 for IPv6, null when the text is no IP address. */
function addressBytes(text: string): Uint8Array | null {
  const address = text.replace(/%.*$/, "");
  const version = isIP(address);
  if (version === 4) return Uint8Array.from(address.split(".").map(Number));
  if (version !== 6) return null;
  let tail: number[] = [];
  let body = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    tail = dotted[1]!.split(".").map(Number);
    body = address.slice(0, -dotted[1]!.length) + "0:0";
  }
  const [head, rest] = body.split("::") as [string, string | undefined];
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  if (dotted) bytes.set(tail, 12);
  return bytes;
}
