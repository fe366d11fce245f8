/**
 * An answer's body, read as a stream and decompressed on the host, never more than the limit: the
 * bytes are counted as they arrive (after decompression, so a small gzip bomb is cut like a large
 * body) and the reading stops, and the connection closes, at the first byte over the limit. A
 * Content-Length over the limit is refused before anything is read.
 */
import type { IncomingMessage } from "node:http";
import { pipeline, type Readable } from "node:stream";
import zlib from "node:zlib";
import { EgressRefusal } from "./types.js";

export interface BodyRead {
  bytes: Buffer;
  /** The body was decompressed: the server's Content-Encoding and Content-Length no longer apply. */
  decoded: boolean;
}

/** Reads `response`'s body up to `maxBytes`; refuses with the size when it is larger. `counted` learns the bytes as they arrive. */
export async function readBody(
  response: IncomingMessage,
  maxBytes: number,
  host: string,
  counted: (bytes: number) => void,
): Promise<BodyRead> {
  const tooLarge = (size: string) =>
    new EgressRefusal(
      "response_too_large",
      `the answer from ${host} is ${size}, over the limit of ${maxBytes} bytes: ask for less (a filter, a page, a smaller range)`,
    );
  const decoder = decoderFor(response.headers["content-encoding"]);
  const declared = Number(response.headers["content-length"]);
  if (!decoder && Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    throw tooLarge(`${declared} bytes`);
  }
  // pipeline destroys the decoder with any error of the response, so the loop below throws it.
  const stream: Readable = decoder ? pipeline(response, decoder, () => {}) : response;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        counted(maxBytes);
        throw tooLarge(`more than ${maxBytes} bytes (reading stopped there)`);
      }
      chunks.push(chunk as Buffer);
      counted(total);
    }
  } finally {
    // Stops reading and closes the connection when the loop ended early (the limit, the deadline).
    response.destroy();
    stream.destroy();
  }
  return { bytes: Buffer.concat(chunks, total), decoded: decoder !== null };
}

/** A decompressor for the encodings the host asks for, null for none (or one it did not ask for: then the bytes come as they are). */
function decoderFor(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null {
  // Like browsers, forgive a stream that ends without its final flush.
  const lenient = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (encoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip(lenient);
    case "deflate":
      return zlib.createInflate(lenient);
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

/** The header the host sends for the encodings `decoderFor` decodes. */
export const ACCEPT_ENCODING = "gzip, deflate, br";

/** The body as the tool gets it: text when it is valid UTF-8 (a BOM kept, so nothing is lost), base64 otherwise. */
export function encodeBody(bytes: Buffer): { body: string; bodyEncoding: "utf8" | "base64" } {
  try {
    return { body: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes), bodyEncoding: "utf8" };
  } catch {
    return { body: bytes.toString("base64"), bodyEncoding: "base64" };
  }
}
