import { describe, expect, it } from "vitest";
import {
  CappedCapture,
  parseReport,
  reportLineScanner,
  stderrEndLine,
  stderrWithoutEndLine,
  stdoutWithoutReport,
} from "../../src/sandbox/output.js";

const TOKEN = "0123456789abcdef0123456789abcdef";
const goodReport = JSON.stringify({ ok: true, phase: "done", testCompleted: true });

describe("CappedCapture", () => {
  it("keeps output under the cap whole and unmarked", () => {
    const capture = new CappedCapture(16);
    capture.add(Buffer.from("hello "));
    capture.add(Buffer.from("world"));
    expect(capture.text()).toBe("hello world");
    expect(capture.truncated).toBe(false);
  });

  it("keeps only the first cap bytes of a flood and marks it truncated", () => {
    const capture = new CappedCapture(10);
    for (let i = 0; i < 100; i++) capture.add(Buffer.from("0123456789"));
    expect(capture.text()).toBe("0123456789");
    expect(capture.truncated).toBe(true);
    expect(capture.totalBytes).toBe(1000);
  });

  it("keeps the end of a flood in its tail so a last line survives", () => {
    const capture = new CappedCapture(10, 64);
    for (let i = 0; i < 1000; i++) capture.add(Buffer.from("x".repeat(50) + "\n"));
    capture.add(Buffer.from("the last line\n"));
    expect(capture.tailText().endsWith("the last line\n")).toBe(true);
    expect(capture.tailText().length).toBeLessThanOrEqual(64);
  });
});

describe("CappedCapture.dropLast", () => {
  it("takes back the last bytes from the head and the tail, as if they never came", () => {
    const capture = new CappedCapture(1024, 64);
    capture.add(Buffer.from("job output\n"));
    capture.add(Buffer.from("\nTOOLFORGE_END abc 0\n"));
    capture.dropLast(Buffer.byteLength("\nTOOLFORGE_END abc 0\n"));
    expect(capture.text()).toBe("job output\n");
    expect(capture.tailText()).toBe("job output\n");
    expect(capture.truncated).toBe(false);
  });

  it("leaves a head that the cap ended before the dropped bytes alone, and keeps it marked truncated", () => {
    const capture = new CappedCapture(4, 64);
    capture.add(Buffer.from("0123456789"));
    capture.add(Buffer.from("END"));
    capture.dropLast(3);
    expect(capture.text()).toBe("0123");
    expect(capture.tailText()).toBe("0123456789");
    expect(capture.truncated).toBe(true);
  });
});

describe("the report line scanner", () => {
  it("finds the report line with this run's token when it arrives in pieces", async () => {
    const scanner = reportLineScanner(TOKEN);
    const line = `TOOLFORGE_REPORT ${TOKEN} ${goodReport}`;
    scanner.push(Buffer.from("noise\n" + line.slice(0, 20)));
    scanner.push(Buffer.from(line.slice(20) + "\n"));
    await expect(scanner.line).resolves.toBe(line);
  });

  it("ignores a report line carrying another token", async () => {
    const scanner = reportLineScanner(TOKEN);
    let found: string | undefined;
    void scanner.line.then((line) => (found = line));
    scanner.push(Buffer.from(`TOOLFORGE_REPORT ffffffff ${goodReport}\n`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(found).toBeUndefined();
  });

  it("does not take an incomplete line (no newline yet) as the report", async () => {
    const scanner = reportLineScanner(TOKEN);
    let found: string | undefined;
    void scanner.line.then((line) => (found = line));
    scanner.push(Buffer.from(`TOOLFORGE_REPORT ${TOKEN} {"ok":tr`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(found).toBeUndefined();
  });
});

describe("parseReport", () => {
  it("accepts the last line when it carries this run's token and a report", () => {
    const parsed = parseReport(`hello\n\nTOOLFORGE_REPORT ${TOKEN} ${goodReport}\n`, TOKEN);
    expect(parsed.problem).toBeUndefined();
    expect(parsed.report).toMatchObject({ ok: true, phase: "done", testCompleted: true });
  });

  it("refuses a report line with another token as forged", () => {
    const parsed = parseReport(`TOOLFORGE_REPORT deadbeef ${goodReport}\n`, TOKEN);
    expect(parsed.report).toBeNull();
    expect(parsed.problem).toMatch(/wrong token/);
  });

  it("refuses when output follows the report line", () => {
    const parsed = parseReport(`TOOLFORGE_REPORT ${TOKEN} ${goodReport}\nmore output\n`, TOKEN);
    expect(parsed.report).toBeNull();
    expect(parsed.problem).toMatch(/followed the runner's report/);
  });

  it("says there is no report when stdout has none", () => {
    const parsed = parseReport("just some output\n", TOKEN);
    expect(parsed.report).toBeNull();
    expect(parsed.problem).toMatch(/no report line/);
  });

  it("refuses a report whose JSON does not parse", () => {
    const parsed = parseReport(`TOOLFORGE_REPORT ${TOKEN} {"ok":true,\n`, TOKEN);
    expect(parsed.report).toBeNull();
    expect(parsed.problem).toMatch(/does not parse/);
  });

  it("refuses a report without the runner's shape", () => {
    const parsed = parseReport(`TOOLFORGE_REPORT ${TOKEN} {"ok":"yes","phase":"done"}\n`, TOKEN);
    expect(parsed.report).toBeNull();
    expect(parsed.problem).toMatch(/shape/);
  });
});

describe("stdoutWithoutReport", () => {
  it("removes the verified report line and the newline the runner put before it", () => {
    const line = `TOOLFORGE_REPORT ${TOKEN} ${goodReport}`;
    expect(stdoutWithoutReport(`hi\n\n${line}\n`, line)).toBe("hi\n");
  });

  it("leaves stdout alone when there is no verified report", () => {
    expect(stdoutWithoutReport("hi\n", undefined)).toBe("hi\n");
  });
});

describe("the runner's end-of-stderr line", () => {
  it("is removed from stderr together with the newline before it", () => {
    const end = stderrEndLine(TOKEN);
    expect(stderrWithoutEndLine(`warning: x\n\n${end}\n`, TOKEN)).toBe("warning: x\n");
    expect(stderrWithoutEndLine(`\n${end}\n`, TOKEN)).toBe("");
  });

  it("is left in place when it carries another token", () => {
    const foreign = `\n${stderrEndLine("ffff")}\n`;
    expect(stderrWithoutEndLine(foreign, TOKEN)).toBe(foreign);
  });
});
