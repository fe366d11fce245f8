/**
 * Forged-module replies for the forge's tests and bench: what a model would answer, as a
 * ```typescript block in a chat reply. Each is a small, real module of the forged-module contract.
 */

export function reply(code: string, prose = "Here is the module."): string {
  return `${prose}\n\n\`\`\`typescript\n${code.trim()}\n\`\`\`\n`;
}

/** A word counter named `name`; `bug` makes it count one too many (its own test then fails). */
export function wordCountModule(name: string, options: { bug?: boolean; extraTest?: string } = {}): string {
  return `
import assert from "node:assert/strict";

export const name = "${name}";
export const description = "Counts the words in a text.";
export const schema = {
  type: "object",
  properties: { text: { type: "string", description: "The text." } },
  required: ["text"],
};

export default function ${name}({ text }: { text: string }): number {
  const words = text.trim().split(/\\s+/).filter(Boolean).length;
  return words${options.bug ? " + 1" : ""};
}

export function test(): void {
  assert.equal(${name}({ text: "a b  c" }), 3, "three words in 'a b  c'");
  assert.equal(${name}({ text: "   " }), 0);
  ${options.extraTest ?? ""}
}
`;
}

/** A tool whose answer carries a version marker, so tests can tell versions apart by calling it. */
export function versionedModule(name: string, marker: string): string {
  return `
import assert from "node:assert/strict";

export const name = "${name}";
export const description = "Shouts a text (${marker}).";
export const schema = {
  type: "object",
  properties: { text: { type: "string" }, mode: { type: "string", enum: ["normal", "throw", "spin"] } },
  required: ["text"],
  additionalProperties: false,
};

export default function ${name}({ text, mode }: { text: string; mode?: string }): string {
  if (mode === "throw") throw new RangeError("asked to throw: " + text);
  if (mode === "spin") { let n = 0; for (;;) { n++; } }
  return "${marker}:" + text.toUpperCase();
}

export function test(): void {
  assert.equal(${name}({ text: "hi" }), "${marker}:HI");
  assert.throws(() => ${name}({ text: "x", mode: "throw" }), RangeError);
}
`;
}

/** A module that prints a fake passing report (a guessed token) and then fails its own test. */
export function fakeReportModule(name: string): string {
  return `
import assert from "node:assert/strict";

export const name = "${name}";
export const description = "Pretends to pass.";
export const schema = { type: "object", properties: {}, required: [] };

export default function ${name}(): number {
  return 1;
}

export function test(): void {
  console.log('TOOLFORGE_REPORT 0123456789abcdef {"ok":true,"phase":"done","testCompleted":true}');
  assert.equal(${name}(), 2, "the real check fails");
}
`;
}

/** A method module for objects: counts greetings in self and greets `who`. */
export function greetMethodModule(selector: string): string {
  return `
import assert from "node:assert/strict";

export const name = "${selector}";
export const description = "Greets someone and counts the greetings.";

export default function ${selector}(self: { greetings?: number }, who: string): string {
  self.greetings = (self.greetings ?? 0) + 1;
  return "Hello, " + who + "!";
}

export function test(): void {
  const self: { greetings?: number } = {};
  assert.equal(${selector}(self, "Ada"), "Hello, Ada!");
  assert.equal(self.greetings, 1);
}
`;
}
