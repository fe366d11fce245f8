/**
 * Servers on 127.0.0.1 that stand for the outside world in the egress tests: each records what
 * reached it (so a test can show that a refused request never arrived) and which sockets closed.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import {
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  type EgressPolicy,
  type HostGrant,
} from "../../src/egress/index.js";

// A self-signed certificate for "api.test" and 127.0.0.1, valid 2020–2120, made for these tests only.
export const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaWbIlihmVfcSRfhj
zQf8wp4OyedxoVXJ+YsKlAG3mKqhRANCAATw673nlkr8FSYOSlL7Ot3BSWzapQrN
lcZW4NE29X61VMf6JCWp0LTyHhOip2jkumEsVKuXVgcwiFImMYWidSsr
-----END PRIVATE KEY-----
`;
export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBUzCB+6ADAgECAhQg/Sf+xhG+xf4jo/rJg19P5b/sBTAKBggqhkjOPQQDAjAT
MREwDwYDVQQDDAhhcGkudGVzdDAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAw
MDAwMFowEzERMA8GA1UEAwwIYXBpLnRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMB
BwNCAATw673nlkr8FSYOSlL7Ot3BSWzapQrNlcZW4NE29X61VMf6JCWp0LTyHhOi
p2jkumEsVKuXVgcwiFImMYWidSsroyswKTAZBgNVHREEEjAQgghhcGkudGVzdIcE
fwAAATAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0cAMEQCIDsEtc17dhwuMjUJ
83mcXOjC9CjzMZoj5p1EetrYZPssAiBBlCi1lrrWvyiU2sgKxdR/T3rEiX61zxeb
p44GGSSORQ==
-----END CERTIFICATE-----
`;

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface TestServer {
  port: number;
  /** "http://127.0.0.1:PORT" (or https://). */
  origin: string;
  /** "127.0.0.1:PORT": the host as a grant or a record names it. */
  host: string;
  seen: SeenRequest[];
  /** Sockets the server saw close (the client hung up or the answer ended). */
  closedSockets: () => number;
  close: () => Promise<void>;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** Starts a server on 127.0.0.1 (TLS with the test certificate when `tls`), answering with `handler` once a request's body is read. */
export async function startServer(handler: Handler, options: { tls?: boolean } = {}): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let closed = 0;
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      handler(request, response, body);
    });
  };
  const server = options.tls ? https.createServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, listener) : http.createServer(listener);
  server.on(options.tls ? "secureConnection" : "connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      closed += 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    seen,
    closedSockets: () => closed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A policy with the default limits, 10 s to go, loopback on (every test server is on 127.0.0.1). */
export function testPolicy(grants: HostGrant[], overrides: Partial<EgressPolicy> = {}): EgressPolicy {
  return {
    grants,
    deadline: Date.now() + 10_000,
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    maxRedirects: DEFAULT_MAX_REDIRECTS,
    allowLoopback: true,
    ...overrides,
  };
}

/** A server that answers every request with `body` as JSON. */
export function json(body: unknown, status = 200, headers: Record<string, string | string[]> = {}): Handler {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };
}
