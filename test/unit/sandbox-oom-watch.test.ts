import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { OomWatch } from "../../src/sandbox/oom-watch.js";

const oomEvent = JSON.stringify({
  status: "oom",
  id: "abc",
  Type: "container",
  Action: "oom",
  Actor: { ID: "abc", Attributes: {} },
  timeNano: 1,
});

describe("watching a container's oom events", () => {
  it("sees an oom event, also one split across chunks, and wakes a waiter", async () => {
    const stream = new PassThrough();
    const watch = new OomWatch(stream);
    expect(watch.oomKilled).toBe(false);
    const waiting = watch.waitFor(60_000);
    stream.write(oomEvent.slice(0, 20));
    stream.write(oomEvent.slice(20) + "\n");
    expect(await waiting).toBe(true);
    expect(watch.oomKilled).toBe(true);
    watch.close();
  });

  it("answers false when no event comes within the wait, and ignores other lines", async () => {
    const stream = new PassThrough();
    const watch = new OomWatch(stream);
    stream.write('{"status":"die","Action":"die"}\nnot json\n');
    expect(await watch.waitFor(50)).toBe(false);
    watch.close();
    expect(stream.destroyed).toBe(true);
  });
});
