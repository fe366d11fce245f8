/** How a grant's host is read, which grant a URL falls under, and which headers a tool may send. */
import { describe, expect, it } from "vitest";
import { EgressPolicyError, parseGrantHost } from "../../src/egress/index.js";
import { grantFor, parseGrants } from "../../src/egress/grants.js";
import { toolHeaders } from "../../src/egress/headers.js";
import { redactorFor } from "../../src/egress/redact.js";

describe("parseGrantHost", () => {
  it("reads a host as a person types it, HTTPS unless it says http://", () => {
    expect(parseGrantHost("api.frankfurter.app")).toEqual({
      scheme: "https",
      hostname: "api.frankfurter.app",
      port: 443,
      explicitPort: false,
      ipLiteral: false,
    });
    expect(parseGrantHost(" API.Example.com:8443 ")).toMatchObject({ hostname: "api.example.com", port: 8443, explicitPort: true });
    expect(parseGrantHost("http://192.168.1.20")).toMatchObject({ scheme: "http", hostname: "192.168.1.20", port: 80, ipLiteral: true });
    expect(parseGrantHost("https://api.example.com/")).toMatchObject({ scheme: "https", port: 443 });
    expect(parseGrantHost("[fd12::1]:8080")).toMatchObject({ hostname: "fd12::1", port: 8080, ipLiteral: true });
    expect(parseGrantHost("example.com.")).toMatchObject({ hostname: "example.com" });
    expect(parseGrantHost("bücher.example")).toMatchObject({ hostname: "xn--bcher-kva.example" });
  });

  it.each([
    ["*.example.com", /not one exact host/],
    ["api.example.com/v1", /has a path/],
    ["api.example.com?x=1", /has a path/],
    ["user:pw@api.example.com", /user name or password/],
    ["ftp://files.example.com", /scheme ftp/],
    ["", /not a host name/],
    ["http://", /not a host name/],
  ])("refuses %j with the reason", (text, reason) => {
    expect(() => parseGrantHost(text)).toThrow(EgressPolicyError);
    expect(() => parseGrantHost(text)).toThrow(reason);
  });

  it("refuses a credential that cannot be a header, without quoting its value", () => {
    const bad = (header: string, value: string) => () => parseGrants([{ host: "api.example.com", credential: { header, value } }]);
    expect(bad("Authorization", "Bearer abc\r\nX-Evil: 1")).toThrow(/line break/);
    expect(bad("Authorization", "Bearer abc\r\nX-Evil: 1")).not.toThrow(/abc/);
    expect(bad("Bad Header", "v")).toThrow(/not a valid header name/);
    expect(bad("Host", "evil.example")).toThrow(/one the host sets itself/);
  });
});

describe("grantFor", () => {
  const grants = parseGrants([
    { host: "api.example.com" },
    { host: "api.example.com:8443" },
    { host: "http://nas.lan" },
    { host: "http://192.168.1.20:8123" },
  ]);
  const hostOf = (url: string) => grantFor(new URL(url), grants).grant.host;

  it("matches host and port, the scheme's default port when the grant names none", () => {
    expect(hostOf("https://api.example.com/latest")).toBe("api.example.com");
    expect(hostOf("https://API.EXAMPLE.COM.:443/")).toBe("api.example.com");
    expect(hostOf("https://api.example.com:8443/")).toBe("api.example.com:8443");
    expect(hostOf("http://nas.lan/")).toBe("http://nas.lan");
    expect(hostOf("http://192.168.1.20:8123/api")).toBe("http://192.168.1.20:8123");
  });

  it("compares IP addresses in their normal form, whatever spelling the URL uses", () => {
    const loopback = parseGrants([{ host: "http://127.0.0.1:8080" }]);
    for (const url of ["http://0x7f.1:8080/", "http://2130706433:8080/", "http://017700000001:8080/"]) {
      expect(grantFor(new URL(url), loopback).grant.host).toBe("http://127.0.0.1:8080");
    }
    expect(() => grantFor(new URL("http://[::ffff:127.0.0.1]:8080/"), loopback)).toThrow(/not granted/);
    expect(parseGrantHost("2130706433")).toMatchObject({ hostname: "127.0.0.1", ipLiteral: true });
  });

  it("lets an http:// grant without a port take the upgrade to https on 443", () => {
    expect(hostOf("https://nas.lan/")).toBe("http://nas.lan");
    expect(() => hostOf("https://192.168.1.20:443/")).toThrow(/not granted/);
  });

  it("refuses plain http to a host granted for https, saying what to do", () => {
    expect(() => hostOf("http://api.example.com/")).toThrow(/plain http to api.example.com is refused: it is granted for https only/);
  });

  it("refuses another port, another host, a subdomain, listing what is granted", () => {
    for (const url of ["https://api.example.com:444/", "https://example.com/", "https://evil.api.example.com/", "http://nas.lan:8080/"]) {
      expect(() => hostOf(url)).toThrow(
        /is not granted to this tool \(granted: api\.example\.com, api\.example\.com:8443, http:\/\/nas\.lan/,
      );
    }
    expect(() => grantFor(new URL("https://a.example/"), [])).toThrow(/no host is granted/);
  });
});

describe("toolHeaders", () => {
  it("keeps the tool's headers with lower-case names", () => {
    expect(Object.fromEntries(toolHeaders({ Accept: "application/json", "X-Trace": "1" }, undefined))).toEqual({
      accept: "application/json",
      "x-trace": "1",
    });
  });

  it("refuses the headers the host owns, in any case", () => {
    for (const name of [
      "Host",
      "connection",
      "Content-Length",
      "Transfer-Encoding",
      "Proxy-Authorization",
      "Upgrade",
      "TE",
      "Accept-Encoding",
    ]) {
      expect(() => toolHeaders({ [name]: "x" }, undefined)).toThrow(/is set by the host/);
    }
  });

  it("refuses the header of the grant's credential, but not on a host whose grant carries none", () => {
    expect(() => toolHeaders({ Authorization: "Bearer mine" }, "authorization")).toThrow(/the header of the credential/);
    expect(toolHeaders({ Authorization: "Bearer mine" }, undefined).get("authorization")).toBe("Bearer mine");
  });

  it("refuses malformed, doubled and non-string headers", () => {
    expect(() => toolHeaders({ "Bad Name": "x" }, undefined)).toThrow(/not a valid header name/);
    expect(() => toolHeaders({ "X-A": "1\nX-B: 2" }, undefined)).toThrow(/line break/);
    expect(() => toolHeaders({ "X-A": "1", "x-a": "2" }, undefined)).toThrow(/given twice/);
    expect(() => toolHeaders({ "X-A": 1 }, undefined)).toThrow(/not a string/);
    expect(() => toolHeaders(["x"], undefined)).toThrow(/must be an object/);
  });
});

describe("redactorFor", () => {
  const redactor = redactorFor([
    { host: "a.example", credential: { header: "Authorization", value: "Bearer tok-0123456789" } },
    { host: "b.example", credential: { header: "X-Key", value: "short" } },
    { host: "c.example" },
  ]);

  it("replaces a credential's value, and its token alone, in text and in bytes", () => {
    expect(redactor.text("got Bearer tok-0123456789 and tok-0123456789")).toBe("got [credential] and [credential]");
    expect(redactor.bytes(Buffer.from("\u00ff tok-0123456789 \u00e9")).toString()).toBe("\u00ff [credential] \u00e9");
  });

  it("leaves values too short to tell from ordinary text", () => {
    expect(redactor.text("a short answer")).toBe("a short answer");
  });
});
