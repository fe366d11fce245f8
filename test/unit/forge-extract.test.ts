import { describe, expect, it } from "vitest";
import { extractModule } from "../../src/forge/extract.js";

const MODULE = 'export const name = "x";\nexport default function x() {\n  return 1;\n}';

describe("extractModule", () => {
  it("returns the code of a ```typescript block, without the fences", () => {
    const result = extractModule(`Here you go:\n\n\`\`\`typescript\n${MODULE}\n\`\`\`\n\nDone.`);
    expect(result).toEqual({ ok: true, code: `${MODULE}\n` });
  });

  it("accepts ```ts and any letter case of the tag", () => {
    expect(extractModule("```ts\nconst a = 1;\n```")).toEqual({ ok: true, code: "const a = 1;\n" });
    expect(extractModule("```TypeScript\nconst b = 2;\n```")).toEqual({ ok: true, code: "const b = 2;\n" });
    expect(extractModule("```TS title=module.ts\nconst c = 3;\n```")).toEqual({ ok: true, code: "const c = 3;\n" });
  });

  it("takes the first typescript block when there are several", () => {
    const reply = "```typescript\nconst first = 1;\n```\ntext\n```typescript\nconst second = 2;\n```";
    expect(extractModule(reply)).toEqual({ ok: true, code: "const first = 1;\n" });
  });

  it("skips blocks tagged with another language, tsx included", () => {
    const reply = "```js\nconst js = 1;\n```\n```tsx\nconst tsx = 1;\n```\n```typescript\nconst ts = 1;\n```";
    expect(extractModule(reply)).toEqual({ ok: true, code: "const ts = 1;\n" });
  });

  it("keeps inner fences of a different length or character inside the block", () => {
    const reply = "````typescript\nconst doc = `\n```\n`;\n````";
    expect(extractModule(reply)).toEqual({ ok: true, code: "const doc = `\n```\n`;\n" });
  });

  it("normalises CRLF line endings so that line numbers match", () => {
    expect(extractModule("```ts\r\nconst a = 1;\r\nconst b = 2;\r\n```\r\n")).toEqual({ ok: true, code: "const a = 1;\nconst b = 2;\n" });
  });

  it("fails with the expected answer shape when the reply has no code block", () => {
    const result = extractModule("I would write a function that counts words.");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toContain("No ```typescript code block");
    expect(result.failure).toContain("no code block at all");
    expect(result.failure).toContain("Answer with exactly one ```typescript block");
  });

  it("names the blocks it found when none is tagged typescript", () => {
    const result = extractModule("```javascript\nconst a = 1;\n```\n```\nplain\n```");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toContain("```javascript");
    expect(result.failure).toContain("an untagged block");
  });

  it("fails on an empty typescript block", () => {
    const result = extractModule("```typescript\n   \n\n```");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toContain("block is empty");
  });

  it("fails on a block that is never closed instead of using a truncated module", () => {
    const result = extractModule("```typescript\nexport const name = \"cut\";\nexport default function cut() {");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toContain("never closed");
  });
});
