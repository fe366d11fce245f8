import { describe, expect, it } from "vitest";
import { auditModule } from "../../src/admission/audit.js";
import { extractModule } from "../../src/forge/extract.js";
import { transpileModule } from "../../src/admission/transpile.js";
import {
  bareCodeReply,
  commonJsReply,
  cutOffReply,
  deepseekThinkingReply,
  draftThenFixReply,
  exampleFirstReply,
  llamaUntaggedReply,
  qwen3LoneCloseReply,
  qwenCoderJsReply,
  thinkingOnlyReply,
  unfencedReply,
  WORD_COUNT_COMMONJS,
  WORD_COUNT_DRAFT,
  WORD_COUNT_JS,
  WORD_COUNT_TS,
} from "../fixtures/replies.js";

const MODULE = 'export const name = "x";\nexport default function x() {\n  return 1;\n}';

function extracted(reply: string): string {
  const result = extractModule(reply);
  if (!result.ok) throw new Error(`not extracted: ${result.failure}`);
  return result.code;
}

function failure(reply: string): string {
  const result = extractModule(reply);
  if (result.ok) throw new Error(`extracted, but a failure was expected:\n${result.code}`);
  return result.failure;
}

describe("extractModule: fences", () => {
  it("returns the code of a ```typescript block, without the fences", () => {
    const result = extractModule(`Here you go:\n\n\`\`\`typescript\n${MODULE}\n\`\`\`\n\nDone.`);
    expect(result).toEqual({ ok: true, code: `${MODULE}\n` });
  });

  it("accepts ```ts and any letter case of the tag", () => {
    expect(extractModule("```ts\nconst a = 1;\n```")).toEqual({ ok: true, code: "const a = 1;\n" });
    expect(extractModule("```TypeScript\nconst b = 2;\n```")).toEqual({ ok: true, code: "const b = 2;\n" });
    expect(extractModule("```TS title=module.ts\nconst c = 3;\n```")).toEqual({ ok: true, code: "const c = 3;\n" });
  });

  it.each(["js", "javascript", "JavaScript", "mjs", "ts", "typescript", "", "js title=word_count.js"])(
    "accepts a module fenced as ```%s",
    (tag) => {
      expect(extracted(`Sure! Here's the module:\n\n\`\`\`${tag}\n${WORD_COUNT_JS}\`\`\`\n`)).toBe(WORD_COUNT_JS);
    },
  );

  it("accepts tilde fences and fences indented by up to three spaces", () => {
    expect(extracted(`~~~javascript\n${WORD_COUNT_JS}~~~`)).toBe(WORD_COUNT_JS);
    expect(extracted(`   \`\`\`\n${WORD_COUNT_TS}   \`\`\``)).toBe(WORD_COUNT_TS);
  });

  it("when no block carries the contract, takes the last block tagged as code (the audit then names what is missing)", () => {
    const reply = "```typescript\nconst first = 1;\n```\ntext\n```typescript\nconst second = 2;\n```";
    expect(extractModule(reply)).toEqual({ ok: true, code: "const second = 2;\n" });
  });

  it("skips blocks of other languages, tsx included", () => {
    const reply = "```js\nconst js = 1;\n```\n```tsx\nconst tsx = 1;\n```\n```json\n{}\n```";
    expect(extractModule(reply)).toEqual({ ok: true, code: "const js = 1;\n" });
  });

  it("keeps inner fences of a different length or character inside the block", () => {
    const reply = "````typescript\nconst doc = `\n```\n`;\n````";
    expect(extractModule(reply)).toEqual({ ok: true, code: "const doc = `\n```\n`;\n" });
  });

  it("normalises CRLF line endings so that line numbers match", () => {
    expect(extractModule("```ts\r\nconst a = 1;\r\nconst b = 2;\r\n```\r\n")).toEqual({ ok: true, code: "const a = 1;\nconst b = 2;\n" });
  });
});

describe("extractModule: replies the way local models write them", () => {
  it("takes qwen2.5-coder's ```js module between its opener and its explanation", () => {
    expect(extracted(qwenCoderJsReply("js"))).toBe(WORD_COUNT_JS);
    expect(extracted(qwenCoderJsReply("javascript"))).toBe(WORD_COUNT_JS);
  });

  it("takes llama3.1's untagged module, not the untagged usage example after it", () => {
    expect(extracted(llamaUntaggedReply())).toBe(WORD_COUNT_TS);
  });

  it("takes a module written without any fence, from its first import to its last line", () => {
    expect(extracted(unfencedReply())).toBe(WORD_COUNT_TS);
    expect(extracted(bareCodeReply())).toBe(WORD_COUNT_TS);
    expect(extracted(`/** A word counter. */\n${WORD_COUNT_JS}\nThat's it!`)).toBe(`/** A word counter. */\n${WORD_COUNT_JS}`);
  });

  it("takes the module, not the usage example written before it", () => {
    expect(extracted(exampleFirstReply())).toBe(WORD_COUNT_TS);
  });

  it("takes the corrected module, not the draft before it", () => {
    expect(extracted(draftThenFixReply())).toBe(WORD_COUNT_TS);
  });

  it("never takes a draft from deepseek-r1's <think> block", () => {
    expect(extracted(deepseekThinkingReply())).toBe(WORD_COUNT_TS);
  });

  it("never takes a draft from qwen3's thinking that ends with a lone </think>", () => {
    expect(extracted(qwen3LoneCloseReply())).toBe(WORD_COUNT_TS);
  });

  it("says so when the module is only inside the thinking", () => {
    const reply = `<think>\nDraft:\n\`\`\`typescript\n${WORD_COUNT_TS}\`\`\`\nLooks right.\n</think>\n\nThe module is above.`;
    expect(failure(reply)).toMatch(/^The module is only inside your thinking \(<think>…<\/think>\), which is never read as the answer/);
  });

  it("says so when the reply was cut off while thinking", () => {
    const text = failure(thinkingOnlyReply());
    expect(text).toContain("cut off while still thinking");
    expect(text).not.toContain(WORD_COUNT_DRAFT.split("\n")[0]);
  });

  it("fails a module whose fence never closes (cut off) instead of using the half module", () => {
    expect(failure(cutOffReply())).toMatch(/^The ```typescript block is never closed \(the reply looks cut off\)/);
    expect(failure(`Here is an example:\n\`\`\`ts\nword_count({ text: "a" });\n\`\`\`\n${cutOffReply()}`)).toContain("never closed");
  });

  it("uses the last complete module when a later one is cut off", () => {
    const reply = `\`\`\`typescript\n${WORD_COUNT_TS}\`\`\`\n\nA shorter version:\n\n\`\`\`typescript\nimport assert from "node:assert/strict";\nexport const name = "word_count";`;
    expect(extracted(reply)).toBe(WORD_COUNT_TS);
  });

  it("takes a CommonJS module (the audit then says it is CommonJS)", () => {
    expect(extracted(commonJsReply())).toBe(WORD_COUNT_COMMONJS);
  });

  it("takes a fenced module that does not compile (the compiler then says where)", () => {
    const broken = WORD_COUNT_TS.replace("return text", "return (text");
    expect(extracted(`\`\`\`ts\nconst example = 1;\n\`\`\`\n\`\`\`ts\n${broken}\`\`\``)).toBe(broken);
  });
});

describe("extractModule: line numbers of the extracted code", () => {
  it.each([
    ["a fenced block", (code: string) => `Intro.\n\n\`\`\`js\n${code}\`\`\`\nOutro.`],
    ["a bare module after prose", (code: string) => `Here it is.\n\n${code}\nHope this helps.`],
    ["a module after thinking", (code: string) => `<think>\nline\nline\n</think>\n\n\`\`\`\n${code}\`\`\``],
  ])("keeps audit positions on lines of `code` for %s", async (_what, wrap) => {
    const source = WORD_COUNT_TS.replace("export function test(): void {", "export function test(): void {\n  const leaked = process.env;");
    const code = extracted(wrap(source));
    expect(code).toBe(source);
    const compiled = await transpileModule(code);
    if (!compiled.ok) throw new Error(compiled.failure);
    const [finding] = auditModule(code, compiled.code, compiled.map, { contract: "tool" });
    const line = code.split("\n").findIndex((text) => text.includes("process.env")) + 1;
    expect(finding).toMatchObject({ rule: "process", line, column: 18 });
  });
});

describe("extractModule: failures the model reads", () => {
  it("fails with the expected answer shape when the reply has no code block", () => {
    const text = failure("I would write a function that counts words.");
    expect(text).toContain("No ```typescript code block");
    expect(text).toContain("no code block at all");
    expect(text).toContain("Answer with exactly one ```typescript block");
  });

  it("names the blocks it found when none holds a module", () => {
    const text = failure('```json\n{"type": "object"}\n```\n```bash\nnode word_count.js\n```\n```\nplain words\n```');
    expect(text).toContain("```json");
    expect(text).toContain("```bash");
    expect(text).toContain("an untagged block");
    expect(text).toContain("`export const name`, `export default function`, `export function test`");
  });

  it("fails on an empty typescript block", () => {
    expect(failure("```typescript\n   \n\n```")).toContain("block is empty");
  });

  it("fails on a block that is never closed instead of using a truncated module", () => {
    expect(failure('```typescript\nexport const name = "cut";\nexport default function cut() {')).toContain("never closed");
  });
});
