/**
 * The pure parts of the object space and `toolforge send`: argument parsing, teaching selectors,
 * the per-object queue, the await-safe Proxy face, JSON equality.
 */
import { describe, expect, it } from "vitest";
import { formatResult, parseKwargs, parseSendArg } from "../../src/cli/commands/send.js";
import { InvalidInputError } from "../../src/errors.js";
import { objectFace, sameJson, taughtSkill, teachingSpec } from "../../src/objects/index.js";
import { KeyedSerial } from "../../src/util/keyed-serial.js";
import type { JsonObject, JsonValue } from "../../src/store/types.js";

describe("toolforge send arguments", () => {
  it.each([
    ["Ada", "Ada"],
    ["[1,2]", [1, 2]],
    ["42", 42],
    ["-1.5", -1.5],
    ["true", true],
    ["null", null],
    ['"quoted"', "quoted"],
    ['{"a":1}', { a: 1 }],
    ["{not json", "{not json"],
    ["hello world", "hello world"],
    ["", ""],
  ])("takes %j as %j", (text, expected) => {
    expect(parseSendArg(text)).toEqual(expected);
  });

  it("reads --kwargs as a JSON object and refuses anything else, naming the option", () => {
    expect(parseKwargs(undefined)).toEqual({});
    expect(parseKwargs('{"name":"Ada","n":2}')).toEqual({ name: "Ada", n: 2 });
    for (const bad of ["[1]", "3", "{oops"]) {
      expect(() => parseKwargs(bad)).toThrow(InvalidInputError);
      expect(() => parseKwargs(bad)).toThrow(/--kwargs/);
    }
  });

  it("prints strings as they are and everything else as JSON", () => {
    expect(formatResult("Hello, Ada!")).toBe("Hello, Ada!");
    expect(JSON.parse(formatResult({ learned: "greet", version: 1 }))).toEqual({ learned: "greet", version: 1 });
    expect(formatResult(undefined)).toBe("null");
  });
});

describe("teaching selectors", () => {
  it("reads the skill from teach_yourself_to_<skill> and nothing else", () => {
    expect(taughtSkill("teach_yourself_to_greet")).toBe("greet");
    expect(taughtSkill("teach_yourself_to_add_numbers")).toBe("add_numbers");
    expect(taughtSkill("teach_yourself_to_")).toBeNull();
    expect(taughtSkill("greet")).toBeNull();
  });

  it("takes the spec from kwargs or string args, else leaves it to the forge", () => {
    expect(teachingSpec("greet", [], {})).toBeUndefined();
    expect(teachingSpec("greet", [], { spec: "say hello to a name" })).toBe("a method named greet: say hello to a name");
    expect(teachingSpec("greet", ["say hello", 3, "politely"], {})).toBe("a method named greet: say hello politely");
  });
});

describe("KeyedSerial (per-object order)", () => {
  it("runs tasks of one key one at a time in order, other keys alongside, and survives a failure", async () => {
    const queue = new KeyedSerial();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = queue.run("a", async () => {
      log.push("a1 start");
      await gate;
      log.push("a1 end");
      throw new Error("a1 failed");
    });
    const second = queue.run("a", async () => {
      log.push("a2");
      return 2;
    });
    const other = queue.run("b", async () => {
      log.push("b1");
      return "b";
    });
    await other;
    expect(log).toEqual(["a1 start", "b1"]);
    release();
    await expect(first).rejects.toThrow("a1 failed");
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
    await Promise.resolve();
    expect(queue.busyKeys).toEqual([]);
  });
});

describe("the object face", () => {
  function recordingFace() {
    const sent: { id: string; selector: string; args: JsonValue[]; kwargs: JsonObject }[] = [];
    const face = objectFace("system", {
      send: async (id, selector, args, kwargs) => {
        sent.push({ id, selector, args, kwargs });
        return `${selector}:${args.join(",")}`;
      },
      attributes: async () => ({ greetings: 3 }),
    });
    return { face, sent };
  }

  it("turns property calls into sends and can be awaited without sending `then`", async () => {
    const { face, sent } = recordingFace();
    const awaited = await Promise.resolve(face);
    expect(awaited.$id).toBe("system");
    expect(face.then).toBeUndefined();
    await expect(face.greet("Ada")).resolves.toBe("greet:Ada");
    await expect(face.$send("add", [1, 2], { round: true })).resolves.toBe("add:1,2");
    await expect(face.$attributes()).resolves.toEqual({ greetings: 3 });
    expect(sent).toEqual([
      { id: "system", selector: "greet", args: ["Ada"], kwargs: {} },
      { id: "system", selector: "add", args: [1, 2], kwargs: { round: true } },
    ]);
  });

  it("does not send for symbols or the properties tools probe", () => {
    const { face, sent } = recordingFace();
    expect(String(face[Symbol.toStringTag as unknown as string])).toBe("ObjectFace(system)");
    expect(face.toJSON).toBeUndefined();
    expect("greet" in face).toBe(false);
    expect(sent).toEqual([]);
  });
});

describe("sameJson", () => {
  it("compares JSON structurally, ignoring key order", () => {
    expect(sameJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });
});
