/**
 * The chat's own parts without a terminal: which lines are commands, the --thread check, and that
 * a server error's hint is printed once (the server's message already ends with it).
 */
import { describe, expect, it, vi } from "vitest";
import { checkThreadOption } from "../../src/cli/chat-target.js";
import { classifyLine } from "../../src/cli/commands/chat.js";
import { reportFailure } from "../../src/cli/failure.js";
import { serverErrorFrom } from "../../src/cli/server-client.js";
import { InvalidInputError } from "../../src/errors.js";
import { errorBody, HttpError } from "../../src/server/errors.js";

describe("a chat line", () => {
  it("is a command when it starts with /, a message otherwise, and // sends a literal slash", () => {
    expect(classifyLine("/help")).toEqual({ kind: "command", name: "help" });
    expect(classifyLine("  /NEW  ")).toEqual({ kind: "command", name: "new" });
    expect(classifyLine("/thread please")).toEqual({ kind: "command", name: "thread" });
    expect(classifyLine("//etc/passwd is a path")).toEqual({ kind: "message", text: "/etc/passwd is a path" });
    expect(classifyLine("what is 2 + 2?")).toEqual({ kind: "message", text: "what is 2 + 2?" });
    expect(classifyLine("   ")).toEqual({ kind: "empty" });
  });
});

describe("the --thread option", () => {
  it("passes a valid id and refuses an invalid one before anything starts, saying why", () => {
    expect(checkThreadOption(undefined)).toBeUndefined();
    expect(checkThreadOption("my-project")).toBe("my-project");
    expect(() => checkThreadOption("has space")).toThrow(InvalidInputError);
    expect(() => checkThreadOption("has space")).toThrow(
      /--thread "has space" is not a valid thread id: it must be printable ASCII without spaces/,
    );
    expect(() => checkThreadOption("")).toThrow(/must not be empty/);
  });
});

describe("a server error on the terminal", () => {
  it("shows the hint once, although the server's message ends with it", () => {
    const body = errorBody(new HttpError(404, "not_found", 'no tool named "nope"', { hint: "GET /tools lists the tools that exist" }));
    expect(body.error.message).toBe('no tool named "nope" — GET /tools lists the tools that exist');
    const error = serverErrorFrom(404, body.error);
    expect(error.message).toBe('no tool named "nope"');
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      expect(reportFailure(error)).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(written.join("").split("GET /tools lists the tools that exist").length - 1).toBe(1);
  });
});
