/** Which addresses the egress check treats as outside a person's network, and which need a grant that says so. */
import { describe, expect, it } from "vitest";
import { classifyAddress, type AddressKind } from "../../src/egress/index.js";

const EXPECTED: [string, AddressKind][] = [
  ["93.184.216.34", "public"],
  ["8.8.8.8", "public"],
  ["172.32.0.1", "public"],
  ["100.128.0.1", "public"],
  ["2606:4700:4700::1111", "public"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["::1", "loopback"],
  ["10.0.0.1", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.1.20", "private"],
  ["100.64.0.1", "carrier-grade-nat"],
  ["100.127.255.255", "carrier-grade-nat"],
  ["169.254.1.1", "link-local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["febf::1", "link-local"],
  ["169.254.169.254", "cloud-metadata"],
  ["fd00:ec2::254", "cloud-metadata"],
  ["fc00::1", "unique-local"],
  ["fd12:3456::1", "unique-local"],
  ["0.0.0.0", "unspecified"],
  ["::", "unspecified"],
  ["224.0.0.251", "multicast"],
  ["239.255.255.250", "multicast"],
  ["ff02::1", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["0.1.2.3", "reserved"],
  ["192.0.2.1", "reserved"],
  ["198.18.0.1", "reserved"],
  ["240.0.0.1", "reserved"],
  ["2001:db8::1", "reserved"],
];

describe("classifyAddress", () => {
  it.each(EXPECTED)("classifies %s as %s", (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });

  it("classifies IPv6 forms that carry an IPv4 address by that address", () => {
    expect(classifyAddress("::ffff:127.0.0.1").kind).toBe("loopback");
    expect(classifyAddress("::ffff:7f00:1").kind).toBe("loopback");
    expect(classifyAddress("::ffff:169.254.169.254").kind).toBe("cloud-metadata");
    expect(classifyAddress("::ffff:8.8.8.8").kind).toBe("public");
    expect(classifyAddress("64:ff9b::10.0.0.1").kind).toBe("private");
    expect(classifyAddress("2002:c0a8:0101::1").kind).toBe("private");
    expect(classifyAddress("::127.0.0.1").kind).toBe("loopback");
  });

  it("says the kind in words a refusal can use", () => {
    expect(classifyAddress("10.1.2.3").label).toBe("a private address (RFC 1918)");
    expect(classifyAddress("169.254.169.254").label).toBe("a cloud metadata address");
  });

  it("refuses a text that is no IP address", () => {
    expect(() => classifyAddress("localhost")).toThrow(/not an IP address: "localhost"/);
  });
});
