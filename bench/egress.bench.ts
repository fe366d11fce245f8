/**
 * What the host's checks cost a tool's outside request: a granted GET of a small JSON body from a
 * server on 127.0.0.1, through `performRequest`, against the same request made directly.
 *
 *   fetch, pooled          Node's fetch (undici), its keep-alive pool reusing one connection
 *   http, new connection   node:http with a fresh connection per request (what performRequest does)
 *   performRequest         grant match, address check, connect-time lookup check, body limit, a fresh connection
 *   refused, not granted   performRequest on a host outside the grants: the checks alone, no socket
 *
 * BENCH_EGRESS_RUNS (default 200) sets the runs per row.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  performRequest,
  type EgressPolicy,
} from "../src/egress/index.js";
import { measure, type BenchRow } from "./stats.js";

export const title = "egress (a tool's outside request)";

const RUNS = Number(process.env["BENCH_EGRESS_RUNS"] ?? 200);
const GROUP = "egress";
const BODY = JSON.stringify({ base: "EUR", date: "2026-12-07", rates: { USD: 1.05, GBP: 0.83, JPY: 158.2, CHF: 0.94 } });

export async function run(): Promise<BenchRow[]> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/latest`;
  const policy = (): EgressPolicy => ({
    grants: [{ host: `http://127.0.0.1:${port}` }],
    deadline: Date.now() + 10_000,
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    maxRedirects: DEFAULT_MAX_REDIRECTS,
    allowLoopback: true,
  });
  const options = { runs: RUNS, warmup: 20 };
  const expectBody = (text: string) => {
    if (text !== BODY) throw new Error(`the body came back wrong: ${text.slice(0, 80)}`);
  };
  try {
    return [
      await measure(GROUP, "fetch directly, pooled connection", async () => expectBody(await (await fetch(url)).text()), {
        ...options,
        note: "undici keep-alive",
      }),
      await measure(GROUP, "node:http directly, new connection", () => httpGet(url).then(expectBody), options),
      await measure(
        GROUP,
        "performRequest, granted GET",
        async () => {
          const result = await performRequest({ url }, policy());
          if (!result.ok) throw new Error(result.refused);
          expectBody(result.response.body);
        },
        { ...options, note: `${BODY.length} B JSON, loopback` },
      ),
      await measure(
        GROUP,
        "performRequest, refused (not granted)",
        async () => {
          const result = await performRequest({ url: `http://127.0.0.1:${port + 1}/` }, policy());
          if (result.ok) throw new Error("an ungranted host was reached");
        },
        { ...options, note: "the checks alone, no socket" },
      ),
    ];
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        response.on("error", reject);
      })
      .on("error", reject);
  });
}
