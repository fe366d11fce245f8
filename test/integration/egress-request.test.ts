/**
 * The host side of a tool's outside request, against real sockets: servers on 127.0.0.1 stand for
 * the outside world, a lookup hook stands for DNS. Each refusal is shown with the server that would
 * have been reached getting nothing, and nothing a test returns holds the credential.
 */
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { performRequest, type OutboundResult, type ResolvedAddress } from "../../src/egress/index.js";
import { until } from "../support/until.js";
import { json, startServer, testPolicy, TEST_TLS_CERT, type TestServer } from "./egress-servers.js";

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const started = await startServer(...args);
  servers.push(started);
  return started;
}

function refusal(result: OutboundResult): { refused: string; code: string } {
  if (result.ok) throw new Error(`expected a refusal, got status ${result.response.status}`);
  return { refused: result.refused, code: result.code };
}

function answer(result: OutboundResult) {
  if (!result.ok) throw new Error(`expected an answer, got: ${result.refused}`);
  return result.response;
}

/** A lookup hook: each name to the addresses given, one list per call (the last repeats). */
function lookupOf(names: Record<string, string[][]>) {
  const calls: string[] = [];
  const lookup = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const answers = names[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    const index = calls.filter((c) => c === hostname).length - 1;
    const addresses = answers[Math.min(index, answers.length - 1)]!;
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { lookup, calls };
}

const SECRET = "Bearer s3cret-token-for-api-a";

describe("a granted request", () => {
  it("comes back with status, headers and body, the grant's credential added by the host", async () => {
    const api = await server(
      json({ rates: { EUR: 0.92 } }, 201, {
        "x-rate-source": "ecb",
        "set-cookie": ["session=abc; HttpOnly"],
        "proxy-authenticate": "Basic",
      }),
    );
    const result = await performRequest(
      {
        url: `${api.origin}/latest?from=USD#ignored`,
        method: "post",
        headers: { "Content-Type": "application/json", "X-Trace": "t1" },
        body: '{"q":1}',
      },
      testPolicy([{ host: `http://${api.host}`, credential: { header: "Authorization", value: SECRET } }]),
    );
    const response = answer(result);
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Created");
    expect(JSON.parse(response.body)).toEqual({ rates: { EUR: 0.92 } });
    expect(response.bodyEncoding).toBe("utf8");
    expect(response.headers["x-rate-source"]).toBe("ecb");
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers).not.toHaveProperty("set-cookie");
    expect(response.headers).not.toHaveProperty("proxy-authenticate");
    expect(response.url).toBe(`${api.origin}/latest?from=USD`);
    expect(response.redirected).toBe(false);

    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]).toMatchObject({ method: "POST", url: "/latest?from=USD", body: '{"q":1}' });
    expect(api.seen[0]!.headers).toMatchObject({
      authorization: SECRET,
      "x-trace": "t1",
      "content-type": "application/json",
      host: api.host,
    });

    expect(result.record).toMatchObject({
      host: api.host,
      method: "POST",
      status: 201,
      bytes: 22,
      redirects: 0,
      refused: null,
      code: null,
    });
    expect(result.record.durationMs).toBeGreaterThan(0);
    expect(JSON.stringify(result)).not.toContain("s3cret");
  });

  it("decodes a gzip answer on the host and returns a binary body as base64", async () => {
    const binary = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x10]);
    const api = await server((request, response) => {
      if (request.url === "/binary") return response.end(binary);
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      response.end(gzipSync(JSON.stringify({ zipped: true })));
    });
    const policy = testPolicy([{ host: `http://${api.host}` }]);
    const zipped = answer(await performRequest({ url: `${api.origin}/zipped` }, policy));
    expect(JSON.parse(zipped.body)).toEqual({ zipped: true });
    expect(zipped.headers).not.toHaveProperty("content-encoding");
    expect(api.seen[0]!.headers["accept-encoding"]).toBe("gzip, deflate, br");
    const raw = answer(await performRequest({ url: `${api.origin}/binary` }, policy));
    expect(raw.bodyEncoding).toBe("base64");
    expect(Buffer.from(raw.body, "base64")).toEqual(binary);
  });

  it("answers a HEAD with the headers and no body", async () => {
    const api = await server(json({ some: "body" }));
    const response = answer(await performRequest({ url: `${api.origin}/`, method: "HEAD" }, testPolicy([{ host: `http://${api.host}` }])));
    expect(response).toMatchObject({ status: 200, body: "", bodyEncoding: "utf8" });
    expect(response.headers["content-type"]).toBe("application/json");
    expect(api.seen[0]!.method).toBe("HEAD");
  });

  it("speaks https to a granted name, and refuses a certificate that does not name the host", async () => {
    const api = await server(json({ secure: true }), { tls: true });
    const { lookup } = lookupOf({ "api.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]] });
    const policy = testPolicy(
      [
        { host: `api.test:${api.port}`, privateNetwork: true },
        { host: `other.test:${api.port}`, privateNetwork: true },
      ],
      { lookup, ca: TEST_TLS_CERT },
    );
    expect(JSON.parse(answer(await performRequest({ url: `https://api.test:${api.port}/` }, policy)).body)).toEqual({ secure: true });
    expect(api.seen[0]!.headers.host).toBe(`api.test:${api.port}`);

    const mismatch = refusal(await performRequest({ url: `https://other.test:${api.port}/` }, policy));
    expect(mismatch.code).toBe("network");
    expect(mismatch.refused).toMatch(/other\.test/);
    expect(mismatch.refused).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/);
    expect(api.seen).toHaveLength(1);
  });
});

describe("what is refused before anything is sent", () => {
  it("refuses a host that is not granted, naming what is", async () => {
    const granted = await server(json({}));
    const other = await server(json({}));
    const result = await performRequest({ url: `${other.origin}/` }, testPolicy([{ host: `http://${granted.host}` }]));
    const { refused, code } = refusal(result);
    expect(code).toBe("not_granted");
    expect(refused).toContain(`the host ${other.host} is not granted to this tool (granted: http://${granted.host})`);
    expect(other.seen).toHaveLength(0);
    expect(result.record).toMatchObject({ host: other.host, method: "GET", status: null, bytes: 0, code: "not_granted" });
  });

  it("refuses plain http to a host granted for https only", async () => {
    const api = await server(json({}));
    const { code, refused } = refusal(await performRequest({ url: `${api.origin}/` }, testPolicy([{ host: api.host }])));
    expect(code).toBe("insecure_scheme");
    expect(refused).toContain(`use https://${api.host}/`);
    expect(api.seen).toHaveLength(0);
  });

  it("refuses a loopback host while the loopback setting is off, though it is granted", async () => {
    const api = await server(json({}));
    const result = await performRequest({ url: `${api.origin}/` }, testPolicy([{ host: `http://${api.host}` }], { allowLoopback: false }));
    expect(refusal(result)).toEqual({
      code: "private_address",
      refused: expect.stringContaining("127.0.0.1, a loopback address: loopback hosts are refused on this server") as string,
    });
    expect(api.seen).toHaveLength(0);
  });

  it("refuses a granted name that resolves to a private address unless the grant says it is on the person's network", async () => {
    const api = await server(json({ inside: true }));
    const { lookup } = lookupOf({ "nas.lan": [["127.0.0.1"]] });
    const url = `http://nas.lan:${api.port}/`;
    const plain = refusal(await performRequest({ url }, testPolicy([{ host: `http://nas.lan:${api.port}` }], { lookup })));
    expect(plain.code).toBe("private_address");
    expect(plain.refused).toContain(`nas.lan resolved to 127.0.0.1, a loopback address`);
    expect(api.seen).toHaveLength(0);

    const marked = await performRequest({ url }, testPolicy([{ host: `http://nas.lan:${api.port}`, privateNetwork: true }], { lookup }));
    expect(JSON.parse(answer(marked).body)).toEqual({ inside: true });
  });

  it("refuses methods, bodies and headers a tool may not send", async () => {
    const api = await server(json({}));
    const policy = testPolicy([{ host: `http://${api.host}`, credential: { header: "X-Api-Key", value: "key-0123456789" } }]);
    const url = `${api.origin}/`;
    const cases: [Parameters<typeof performRequest>[0], string, RegExp][] = [
      [{ url, method: "TRACE" }, "invalid_request", /the method "TRACE" is refused/],
      [{ url, method: "GET", body: "x" }, "invalid_request", /a GET request has no body/],
      [{ url: "ftp://127.0.0.1/" }, "invalid_request", /only https/],
      [{ url: `http://user:pw@${api.host}/` }, "invalid_request", /user name or password/],
      [{ url, headers: { Host: "elsewhere.example" } }, "forbidden_header", /"Host" is set by the host/],
      [{ url, headers: { "Proxy-Authorization": "Basic x" } }, "forbidden_header", /is set by the host/],
      [{ url, headers: { "Transfer-Encoding": "chunked" } }, "forbidden_header", /is set by the host/],
      [{ url, headers: { "X-Evil": "a\r\nX-Injected: 1" } }, "forbidden_header", /line break/],
      [{ url, method: "POST", body: "x".repeat(300 * 1024) }, "request_too_large", /over the limit of 262144/],
    ];
    for (const [request, code, reason] of cases) {
      const result = refusal(await performRequest(request, policy));
      expect(result, JSON.stringify(request).slice(0, 80)).toMatchObject({ code });
      expect(result.refused).toMatch(reason);
    }
    expect(api.seen).toHaveLength(0);
  });
});

describe("the credential", () => {
  it("cannot be overridden or smuggled by a header the tool sets", async () => {
    const api = await server(json({}));
    const policy = testPolicy([{ host: `http://${api.host}`, credential: { header: "Authorization", value: SECRET } }]);
    for (const name of ["Authorization", "AUTHORIZATION"]) {
      const result = await performRequest({ url: `${api.origin}/`, headers: { [name]: "Bearer the-tools-own" } }, policy);
      const { code, refused } = refusal(result);
      expect(code).toBe("forbidden_header");
      expect(refused).toContain("is the header of the credential a person granted for this host");
      expect(JSON.stringify(result)).not.toContain("s3cret");
    }
    expect(api.seen).toHaveLength(0);
  });

  it("goes only to its own host, never on a redirect to another granted host", async () => {
    const second = await server(json({ second: true }));
    const first = await server((_request, response) => {
      response.writeHead(302, { location: `${second.origin}/landed` });
      response.end();
    });
    const result = await performRequest(
      { url: `${first.origin}/start`, headers: { Cookie: "tool=1" } },
      testPolicy([
        { host: `http://${first.host}`, credential: { header: "Authorization", value: SECRET } },
        { host: `http://${second.host}`, credential: { header: "X-Api-Key", value: "second-key-0123" } },
      ]),
    );
    const response = answer(result);
    expect(response).toMatchObject({ url: `${second.origin}/landed`, redirected: true });
    expect(first.seen[0]!.headers).toMatchObject({ authorization: SECRET, cookie: "tool=1" });
    expect(first.seen[0]!.headers).not.toHaveProperty("x-api-key");
    expect(second.seen[0]!.headers).not.toHaveProperty("authorization");
    expect(second.seen[0]!.headers).not.toHaveProperty("cookie");
    expect(second.seen[0]!.headers["x-api-key"]).toBe("second-key-0123");
    expect(result.record).toMatchObject({ host: first.host, status: 200, redirects: 1 });
  });

  it("is cut out of an answer that echoes it back", async () => {
    const echo = await server((request, response) => {
      response.writeHead(200, { "content-type": "application/json", "x-echo": String(request.headers.authorization) });
      response.end(JSON.stringify({ headers: request.headers }));
    });
    const result = await performRequest(
      { url: `${echo.origin}/headers` },
      testPolicy([{ host: `http://${echo.host}`, credential: { header: "Authorization", value: SECRET } }]),
    );
    const response = answer(result);
    expect(echo.seen[0]!.headers.authorization).toBe(SECRET);
    expect(JSON.parse(response.body).headers.authorization).toBe("[credential]");
    expect(response.headers["x-echo"]).toBe("[credential]");
    expect(JSON.stringify(result)).not.toContain("s3cret");
  });
});

describe("redirects", () => {
  it("are followed within the grants up to the limit, a 303 after a POST becoming a GET", async () => {
    const api = await server((request, response, body) => {
      if (request.url === "/form") return response.writeHead(303, { location: "/step" }).end();
      if (request.url === "/step") return response.writeHead(307, { location: `/done?after=${request.method}` }).end();
      json({ method: request.method, body })(request, response, body);
    });
    const policy = testPolicy([{ host: `http://${api.host}` }]);
    const result = await performRequest({ url: `${api.origin}/form`, method: "POST", body: "a=1" }, policy);
    expect(JSON.parse(answer(result).body)).toEqual({ method: "GET", body: "" });
    expect(api.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /form", "GET /step", "GET /done?after=GET"]);
    expect(result.record).toMatchObject({ redirects: 2, status: 200 });

    const limited = await performRequest({ url: `${api.origin}/form`, method: "POST", body: "a=1" }, { ...policy, maxRedirects: 1 });
    expect(refusal(limited)).toMatchObject({ code: "too_many_redirects" });
  });

  it("refuses a redirect to a host that is not granted, and it gets nothing", async () => {
    const outside = await server(json({}));
    const api = await server((_request, response) => response.writeHead(301, { location: `${outside.origin}/x` }).end());
    const result = await performRequest({ url: `${api.origin}/` }, testPolicy([{ host: `http://${api.host}` }]));
    const { code, refused } = refusal(result);
    expect(code).toBe("not_granted");
    expect(refused).toContain(`the redirect to ${outside.host} is not granted`);
    expect(outside.seen).toHaveLength(0);
    expect(result.record).toMatchObject({ host: api.host, status: 301, redirects: 1 });
  });

  it("refuses a redirect to a private address, though the name it names is granted", async () => {
    const internal = await server(json({ secret: "inside" }));
    const api = await server((_request, response) =>
      response.writeHead(302, { location: `http://internal.test:${internal.port}/admin` }).end(),
    );
    const { lookup } = lookupOf({ "internal.test": [["10.0.0.7"]] });
    const grants = [{ host: `http://${api.host}` }, { host: `http://internal.test:${internal.port}` }];
    const result = await performRequest({ url: `${api.origin}/` }, testPolicy(grants, { lookup }));
    const { code, refused } = refusal(result);
    expect(code).toBe("private_address");
    expect(refused).toContain("internal.test resolved to 10.0.0.7, a private address (RFC 1918)");
    expect(internal.seen).toHaveLength(0);
  });
});

describe("DNS rebinding", () => {
  it("refuses a name that resolves to a public address when checked and to 127.0.0.1 when connecting", async () => {
    const api = await server(json({ reached: true }));
    const { lookup, calls } = lookupOf({ "rebind.test": [["93.184.216.34"], ["127.0.0.1"]] });
    const result = await performRequest(
      { url: `http://rebind.test:${api.port}/` },
      testPolicy([{ host: `http://rebind.test:${api.port}` }], { lookup }),
    );
    const { code, refused } = refusal(result);
    expect(code).toBe("private_address");
    expect(refused).toContain("rebind.test resolved again at connect time to 127.0.0.1, a loopback address");
    expect(calls).toEqual(["rebind.test", "rebind.test"]);
    expect(api.seen).toHaveLength(0);
  });
});

describe("size and time", () => {
  it("cuts an endless body at the limit, and stops reading it", async () => {
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, "a");
    const endless = await server((_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" });
      // A gigabyte, written as fast as the reader reads it.
      const pump = () => {
        while (written < 1024 ** 3 && !response.destroyed) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", pump);
        }
        response.end();
      };
      pump();
    });
    const result = await performRequest(
      { url: `${endless.origin}/big` },
      testPolicy([{ host: `http://${endless.host}` }], { deadline: Date.now() + 60_000 }),
    );
    const { code, refused } = refusal(result);
    expect(code).toBe("response_too_large");
    expect(refused).toContain(
      `the answer from ${endless.host} is more than 1048576 bytes (reading stopped there), over the limit of 1048576 bytes`,
    );
    expect(result.record.bytes).toBe(1024 * 1024);
    await until("the server to see its socket closed", endless.closedSockets, (n) => n >= 1, { timeoutMs: 10_000 });
    // Socket buffers hold a few megabytes at most; the rest was never asked for.
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it("refuses an answer whose Content-Length is over the limit without waiting for its body", async () => {
    const api = await server((_request, response) => {
      response.writeHead(200, { "content-length": String(2 * 1024 * 1024) });
      response.write("a start, and then nothing for a long time");
    });
    const result = await performRequest(
      { url: `${api.origin}/` },
      testPolicy([{ host: `http://${api.host}` }], { deadline: Date.now() + 5_000 }),
    );
    expect(refusal(result)).toEqual({
      code: "response_too_large",
      refused: `the answer from ${api.host} is 2097152 bytes, over the limit of 1048576 bytes: ask for less (a filter, a page, a smaller range)`,
    });
    expect(result.record.bytes).toBe(0);
  });

  it("cuts a compressed body by its size after decompression", async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const api = await server((_request, response) => {
      response.writeHead(200, { "content-encoding": "gzip" });
      response.end(bomb);
    });
    const { code } = refusal(await performRequest({ url: `${api.origin}/` }, testPolicy([{ host: `http://${api.host}` }])));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(code).toBe("response_too_large");
  });

  it("cuts a server that never finishes at the call's deadline, and hangs up on it", async () => {
    const stalls = await server((request, response) => {
      if (request.url === "/headers-then-nothing") {
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("the start of it");
      }
    });
    for (const path of ["/headers-then-nothing", "/nothing-at-all"]) {
      const before = stalls.closedSockets();
      const result = await performRequest(
        { url: `${stalls.origin}${path}` },
        testPolicy([{ host: `http://${stalls.host}` }], { deadline: Date.now() + 400 }),
      );
      const { code, refused } = refusal(result);
      expect(code).toBe("deadline");
      expect(refused).toBe(`the request to ${stalls.host} did not finish before the call's deadline: the call's time ran out`);
      await until("the server to see the socket closed", stalls.closedSockets, (n) => n > before, { timeoutMs: 10_000 });
    }
  });
});
