/**
 * The console reads /events and the streamed chat with fetch and its own SSE reader (EventSource
 * cannot send the key): events split across network chunks, comments, multi-line data and CRLF.
 */
import { describe, expect, it } from "vitest";
import { readSse, type SseMessage } from "../../console/src/sse.js";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function read(chunks: string[]): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  for await (const message of readSse(streamOf(chunks))) messages.push(message);
  return messages;
}

describe("readSse", () => {
  it("joins an event split across chunks, keeps its name, and skips comments", async () => {
    const messages = await read([
      ": connected; heartbeat every 15000 ms\n\nevent: tool.cre",
      'ated\ndata: {"type":"tool.cre',
      'ated"}\n',
      "\n: heartbeat\n\n",
    ]);
    expect(messages).toEqual([{ event: "tool.created", data: '{"type":"tool.created"}' }]);
  });

  it("reads unnamed data frames, multi-line data and CRLF line ends", async () => {
    const messages = await read(['data: {"a":1}\r\n\r\n', "data: line one\ndata: line two\n\n", "data: [DONE]\n\n"]);
    expect(messages).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: undefined, data: "line one\nline two" },
      { event: undefined, data: "[DONE]" },
    ]);
  });

  it("drops a frame the stream ended in the middle of", async () => {
    expect(await read(['data: {"complete":true}\n\ndata: {"cut', ""])).toEqual([{ event: undefined, data: '{"complete":true}' }]);
  });

  it("decodes a character split between two chunks", async () => {
    const bytes = new TextEncoder().encode("data: café\n\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 10));
        controller.enqueue(bytes.slice(10));
        controller.close();
      },
    });
    const messages: SseMessage[] = [];
    for await (const message of readSse(stream)) messages.push(message);
    expect(messages).toEqual([{ event: undefined, data: "café" }]);
  });
});
