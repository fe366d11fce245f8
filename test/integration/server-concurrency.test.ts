/**
 * Turns on different threads run at the same time; turns on one thread run one after the other.
 * Each scripted model call streams slowly, so the order in which the scripted Ollama receives the
 * personas' requests shows whether two turns overlapped (no clock is compared).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedOllama, type OllamaChatRequest } from "../support/scripted-ollama.js";
import { mentions, speakerOf, startTestServer, type TestServer } from "./test-server.js";

let ollama: ScriptedOllama;
let served: TestServer;

beforeAll(async () => {
  ollama = await ScriptedOllama.start({
    respond: (request) => ({
      content: speakerOf(request) === "alfred" ? "Done, slowly." : `${speakerOf(request)} thinking slowly about it`,
      chunkSize: 4,
      chunkDelayMs: 15,
    }),
  });
  served = await startTestServer({ ollama });
});

afterAll(async () => {
  await served?.close();
  await ollama?.close();
});

function chat(message: string, threadId: string) {
  return fetch(`${served.url}/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message, thread_id: threadId }),
  });
}

/** Positions (in arrival order) of the chat requests that belong to each marker's turn. */
function positions(requests: OllamaChatRequest[], later: string, earlier: string) {
  const of = { [later]: [] as number[], [earlier]: [] as number[] };
  requests.forEach((request, index) => {
    if (mentions(request, later)) of[later]!.push(index);
    else if (mentions(request, earlier)) of[earlier]!.push(index);
  });
  return of;
}

describe("concurrency of turns", () => {
  it("runs turns on two different threads concurrently: their model calls interleave", async () => {
    const start = ollama.chatRequests.length;
    const [a, b] = await Promise.all([chat("marker-ALPHA question", "thread-alpha"), chat("marker-BRAVO question", "thread-bravo")]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const requests = ollama.chatRequests.slice(start);
    const at = positions(requests, "marker-BRAVO", "marker-ALPHA");
    expect(at["marker-ALPHA"]).toHaveLength(4);
    expect(at["marker-BRAVO"]).toHaveLength(4);
    const alpha = at["marker-ALPHA"]!;
    const bravo = at["marker-BRAVO"]!;
    const alphaFirst = Math.max(...alpha) < Math.min(...bravo);
    const bravoFirst = Math.max(...bravo) < Math.min(...alpha);
    expect({ alphaFirst, bravoFirst }).toEqual({ alphaFirst: false, bravoFirst: false });
  });

  it("serialises two turns on the same thread: the second starts after the first has finished", async () => {
    const start = ollama.chatRequests.length;
    const first = chat("marker-CHARLIE question", "thread-shared");
    // Sent while the first is still running (its first model call has arrived).
    while (!ollama.chatRequests.slice(start).some((r) => mentions(r, "marker-CHARLIE"))) await new Promise((r) => setTimeout(r, 5));
    const second = chat("marker-DELTA question", "thread-shared");
    const [one, two] = await Promise.all([first, second]);
    expect([one.status, two.status]).toEqual([200, 200]);
    // DELTA's turn mentions CHARLIE too (it is in the thread's history), never the other way round.
    const at = positions(ollama.chatRequests.slice(start), "marker-DELTA", "marker-CHARLIE");
    expect(at["marker-CHARLIE"]).toHaveLength(4);
    expect(at["marker-DELTA"]).toHaveLength(4);
    expect(Math.max(...at["marker-CHARLIE"]!)).toBeLessThan(Math.min(...at["marker-DELTA"]!));
    // And the second turn saw the first: BRICK's request of DELTA carries CHARLIE's question.
    const deltaBrick = ollama.chatRequests.slice(start).find((r) => mentions(r, "marker-DELTA") && speakerOf(r) === "brick");
    expect(deltaBrick && mentions(deltaBrick, "marker-CHARLIE")).toBe(true);
  });
});
