import { formatFindings as formatAuditFindings } from "../../src/admission/audit.js";
import { describe, expect, it } from "vitest";
import type { BaseMessage } from "@langchain/core/messages";
import { cleanSpec, isToolName, requestedToolName } from "../../src/forge/names.js";
import {
  buildMethodPrompt,
  buildToolPrompt,
  defaultMethodSpec,
  feedbackSection,
  replyText,
  METHOD_EXAMPLE,
  TOOL_EXAMPLE,
  type AttemptFeedback,
  type BuildingBlock,
} from "../../src/forge/prompt.js";
import { MAX_SPEC_CHARS } from "../../src/contract.js";
import { estimateTextTokens, replyReserve } from "../../src/util/tokens.js";

const text = (messages: BaseMessage[]) => messages.map((m) => String(m.content)).join("\n----\n");

describe("the tool name a spec asks for", () => {
  it.each([
    ["word_count: counts the words in a text", "word_count"],
    ["`word_count`: counts the words", "word_count"],
    ["word_count — counts the words", "word_count"],
    ["word_count - counts the words", "word_count"],
    ["TOOL_REQUIRED: slugify: turns a title into a URL slug", "slugify"],
    ["word_count(text: string) -> number: counts words", "word_count"],
    ["a tool named word_count that counts words", "word_count"],
    ["A tool called `reverse_text` which reverses a string", "reverse_text"],
    ["make a tool named 'is_prime' returning a boolean", "is_prime"],
  ])("reads %j as %j", (spec, name) => {
    expect(requestedToolName(spec)).toBe(name);
  });

  it.each([
    "a tool that counts the words in a text",
    "Tool: counts words",
    "input: a text; output: its word count",
    "WordCount: counts words",
    "a tool named WordCount",
    "",
  ])("finds no name in %j", (spec) => {
    expect(requestedToolName(spec)).toBeNull();
  });

  it("accepts only snake_case names up to 64 characters", () => {
    expect(isToolName("word_count")).toBe(true);
    expect(isToolName("a".repeat(64))).toBe(true);
    expect(isToolName("a".repeat(65))).toBe(false);
    expect(isToolName("../etc")).toBe(false);
    expect(isToolName("1abc")).toBe(false);
    expect(isToolName(42)).toBe(false);
  });

  it("strips a TOOL_REQUIRED prefix from the spec", () => {
    expect(cleanSpec("  TOOL_REQUIRED:  count words  ")).toBe("count words");
  });
});

describe("the tool prompt", () => {
  it("carries the contract with a complete example, the spec, the requested name and the existing tools", () => {
    const messages = buildToolPrompt({
      spec: "word_count: counts the words in a text",
      requestedName: "word_count",
      existingTools: { names: ["slugify", "is_prime"], total: 2 },
    });
    const all = text(messages);
    expect(messages[0]?._getType()).toBe("system");
    expect(all).toContain(TOOL_EXAMPLE);
    expect(all).toContain("export function test()");
    expect(all).toContain("word_count: counts the words in a text");
    expect(all).toContain('must be exactly "word_count"');
    expect(all).toContain("slugify, is_prime");
  });

  it("names only the library's closest tools, and says how many it holds in all", () => {
    const all = text(
      buildToolPrompt({ spec: "slugify: …", requestedName: "slugify", existingTools: { names: ["slug_case"], total: 10_000 } }),
    );
    expect(all).toContain("(the library holds 10000 tools; a name that is taken is refused): slug_case.");
    const none = text(buildToolPrompt({ spec: "slugify: …", requestedName: "slugify", existingTools: { names: [], total: 10_000 } }));
    expect(none).toContain("No existing tool is close to this spec.");
  });

  it("says when no tool exists and names no tool when the spec names none", () => {
    const all = text(buildToolPrompt({ spec: "a tool that reverses text", requestedName: null, existingTools: { names: [], total: 0 } }));
    expect(all).toContain("No other tools exist yet");
    expect(all).not.toContain("must be exactly");
  });

  it("on a retry quotes the previous code and the exact failure", () => {
    const previous: AttemptFeedback = {
      attempt: 1,
      stage: "sandbox",
      code: 'export const name = "word_count";\n// the broken module',
      reply: "irrelevant",
      failure: "AssertionError: Expected values to be strictly equal:\n\n2 !== 3\n    at test (module.mjs:12:10)",
      findings: [],
    };
    const all = text(
      buildToolPrompt({ spec: "word_count: counts words", requestedName: "word_count", existingTools: { names: [], total: 0 }, previous }),
    );
    expect(all).toContain("attempt 1");
    expect(all).toContain("sandbox stage");
    expect(all).toContain("2 !== 3");
    expect(all).toContain("module.mjs:12:10");
    expect(all).toContain("// the broken module");
  });

  it("on a retry after the audit lists each finding once, with its line and column", () => {
    const findings = [{ rule: "eval", message: "eval is not allowed", line: 7, column: 3 }];
    const code = "line1\nline2\nline3\nline4\nline5\nline6\n  eval(x);\n";
    const previous: AttemptFeedback = {
      attempt: 1,
      stage: "audit",
      code,
      reply: "irrelevant",
      failure: formatAuditFindings(findings, code),
      findings,
    };
    const all = text(
      buildToolPrompt({ spec: "word_count: counts words", requestedName: "word_count", existingTools: { names: [], total: 0 }, previous }),
    );
    expect(all).toContain("audit stage");
    expect(all.match(/eval is not allowed/g)).toHaveLength(1);
    expect(all).toMatch(/line 7, column 3/);
  });

  it("shows the whole reply when no code could be extracted from it", () => {
    const section = feedbackSection({
      attempt: 2,
      stage: "extract",
      code: "",
      reply: "Sure! Here is an idea.",
      failure: "no ```typescript block",
      findings: [],
    });
    expect(section).toContain("Sure! Here is an idea.");
    expect(section).toContain("extract stage");
  });

  it("when improving, quotes the current version and keeps its name", () => {
    const all = text(
      buildToolPrompt({
        spec: "word_count: also count hyphenated words as one",
        requestedName: "word_count",
        existingTools: { names: ["word_count", "slugify"], total: 2 },
        improve: { name: "word_count", version: 3, source: "// version three source" },
      }),
    );
    expect(all).toContain("version 4");
    expect(all).toContain("// version three source");
    expect(all).toContain("do not reuse these names): slugify.");
  });

  it("cuts very long quoted code instead of sending it whole", () => {
    const code = "x".repeat(20_000);
    const section = feedbackSection({ attempt: 1, stage: "audit", code, reply: "", failure: "f", findings: [] });
    expect(section.length).toBeLessThan(10_000);
    expect(section).toContain("more characters cut");
  });
});

/** The forge's estimate of a request: each message's text, and 4 tokens of chat template each. */
const tokens = (messages: BaseMessage[]) => messages.reduce((sum, m) => sum + 4 + estimateTextTokens(String(m.content)), 0);

describe("building on library tools in the tool prompt", () => {
  const blocks: BuildingBlock[] = [
    {
      name: "factorize",
      description: "Prime factors of n, in ascending order.",
      schema: { type: "object", properties: { n: { type: "integer" }, limit: { type: "number" } }, required: ["n"] },
    },
    {
      name: "sum_list",
      description: "The sum of a list of numbers.",
      schema: { type: "object", properties: { values: { type: "array" } } },
    },
  ];

  it("offers the closest library tools with their inputs and descriptions, and says how to use them", () => {
    const messages = buildToolPrompt({
      spec: "sum of the prime factors of n",
      requestedName: null,
      existingTools: { names: ["factorize", "sum_list"], total: 2 },
      buildingBlocks: blocks,
    });
    const [system, request] = messages.map((m) => String(m.content));
    expect(system).toContain('export `const uses = ["factorize"];`');
    expect(system).toContain("await ctx.tools.factorize({ n })");
    expect(request).toContain("- factorize({ n: integer, limit?: number }): Prime factors of n, in ascending order.");
    expect(request).toContain("- sum_list({ values?: array }): The sum of a list of numbers.");
  });

  it("offers none when the library has none close, and never the tool being improved", () => {
    const none = text(buildToolPrompt({ spec: "x", requestedName: null, existingTools: { names: [], total: 0 } }));
    expect(none).not.toContain("Library tools you may build on");
    const improving = text(
      buildToolPrompt({
        spec: "factorize, faster",
        requestedName: "factorize",
        existingTools: { names: ["factorize"], total: 1 },
        buildingBlocks: [blocks[0]!],
        improve: { name: "factorize", version: 1, source: "export default () => []" },
      }),
    );
    expect(improving).not.toContain("Library tools you may build on");
  });
});

describe("fitting the forge's request to the model's window", () => {
  const longFeedback: AttemptFeedback = {
    attempt: 1,
    stage: "sandbox",
    code: "export const x = 1;\n".repeat(600),
    reply: "",
    failure: "AssertionError: 1 !== 2\n".repeat(400),
    findings: [],
  };
  const input = {
    spec: `word_count: ${"counts the words of a text, carefully. ".repeat(100)}`.slice(0, MAX_SPEC_CHARS),
    requestedName: "word_count",
    existingTools: { names: [], total: 0 },
    improve: { name: "word_count", version: 3, source: "// v3\n".repeat(2_000) },
    previous: longFeedback,
  };

  it.each([2_048, 4_096, 8_192])("keeps a retry with the longest spec within a %d-token window, room for the reply left", (window) => {
    const messages = buildToolPrompt(input, window);
    expect(tokens(messages)).toBeLessThanOrEqual(window - replyReserve(window));
    const all = text(messages);
    expect(all).toContain("word_count: counts the words");
    expect(all).toContain("more characters cut");
  });

  it("keeps a method's retry within a small window too, the receiver and the example call cut", () => {
    const messages = buildMethodPrompt(
      {
        objectId: "system",
        selector: "greet",
        spec: "g".repeat(MAX_SPEC_CHARS),
        receiver: { notes: "n".repeat(50_000) },
        example: { args: ["a".repeat(50_000)], kwargs: {} },
        previous: longFeedback,
      },
      2_048,
    );
    expect(tokens(messages)).toBeLessThanOrEqual(2_048 - replyReserve(2_048));
  });

  it("sends the request whole when it fits", () => {
    const small = { ...input, improve: undefined, previous: undefined, spec: "word_count: counts words" };
    expect(text(buildToolPrompt(small, 16_384))).toBe(text(buildToolPrompt(small)));
    expect(text(buildToolPrompt(small, 16_384))).not.toContain("characters cut");
  });

  it("derives a method's spec from a huge example call without quoting all of it", () => {
    const spec = defaultMethodSpec("greet", { args: ["a".repeat(900_000)], kwargs: { k: "b".repeat(10_000) } });
    expect(spec.length).toBeLessThan(1_000);
    expect(spec).toContain("A method named greet");
  });
});

describe("the method prompt", () => {
  it("uses the method flavour of the contract with the receiver, the selector and the example call", () => {
    const all = text(
      buildMethodPrompt({
        objectId: "system",
        selector: "greet",
        spec: "greets someone",
        receiver: { greetings: 2 },
        example: { args: ["Ada"], kwargs: { polite: true } },
      }),
    );
    expect(all).toContain(METHOD_EXAMPLE);
    expect(all).toContain("method(self, ...args)");
    expect(all).toContain('"greetings": 2');
    expect(all).toContain('must be exactly "greet"');
    expect(all).toContain('["Ada"]');
    expect(all).toContain('{"polite":true}');
  });

  it("derives a spec from the selector when none is given", () => {
    expect(defaultMethodSpec("count_words", { args: ["a b"], kwargs: {} })).toContain("count words");
  });
});

describe("reading the model's reply", () => {
  it("takes string content as is and joins the text parts of array content", () => {
    expect(replyText("hello")).toBe("hello");
    expect(replyText([{ type: "text", text: "a" }, "b", { type: "image_url" }])).toBe("ab");
    expect(replyText(undefined)).toBe("");
  });
});
