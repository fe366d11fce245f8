/**
 * The conversation `npm run bench:turn` measures, and what the stand-in model says in it.
 *
 * Six user turns, three of which need a tool that is already in the library (two tools in all),
 * and an optional seventh that needs a tool nobody has made yet (the forge writes it). The
 * stand-in answers for ToolForge's four personas and its forge, and for a single-call agent, from
 * the same texts: the agent's final answer is ALFRED's answer word for word, so what differs
 * between the two is only what the design makes the model read and write.
 *
 * Who is asking is read from the request the way a model would: a cue or role naming ROBIN, BABS
 * or ALFRED as the speaker, a prompt holding the forged-module contract (the forge), a JSON format
 * (a metacognition plan); any other request of ToolForge's is BRICK's, and a request that names no
 * persona at all is the single agent's. The lengths are those such a model writes (about 70
 * tokens of analysis, 50–60 of notes, 55 of answer); thinking is the stand-in server's (300
 * tokens when the request does not say `think: false`).
 */
import type { OllamaChatMessage, OllamaChatRequest, ScriptedReply } from "../test/support/scripted-ollama.js";

export interface ScriptedTurn {
  question: string;
  /** The tool call this turn needs (BRICK's, or the agent's), if any. */
  tool?: { name: string; args: Record<string, unknown> };
  /** A tool that does not exist yet: BRICK asks the forge for it with this spec. */
  forge?: { spec: string; module: string };
  brick: string;
  robin: string;
  babs: string;
  answer: string;
}

export const ROMAN_TOOL = `import assert from "node:assert/strict";
export const name = "to_roman";
export const description = "Writes a whole number from 1 to 3999 in Roman numerals.";
export const schema = {
  type: "object",
  properties: { n: { type: "integer", minimum: 1, maximum: 3999, description: "The number to write." } },
  required: ["n"],
};
const DIGITS: [number, string][] = [
  [1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"],
  [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"],
];
export default function to_roman({ n }: { n: number }): string {
  let rest = n;
  let out = "";
  for (const [value, letters] of DIGITS) while (rest >= value) { out += letters; rest -= value; }
  return out;
}
export function test(): void {
  assert.equal(to_roman({ n: 1987 }), "MCMLXXXVII");
  assert.equal(to_roman({ n: 4 }), "IV");
  assert.equal(to_roman({ n: 3999 }), "MMMCMXCIX");
}
`;

export const DAYS_TOOL = `import assert from "node:assert/strict";
export const name = "days_between";
export const description = "Counts the days from one calendar date to another (YYYY-MM-DD).";
export const schema = {
  type: "object",
  properties: { from: { type: "string", description: "Start date, YYYY-MM-DD." }, to: { type: "string", description: "End date, YYYY-MM-DD." } },
  required: ["from", "to"],
};
export default function days_between({ from, to }: { from: string; to: string }): number {
  return Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / 86400000);
}
export function test(): void {
  assert.equal(days_between({ from: "2024-01-01", to: "2024-12-25" }), 359);
  assert.equal(days_between({ from: "2024-03-01", to: "2024-03-01" }), 0);
}
`;

const VOWELS_TOOL = `\`\`\`typescript
import assert from "node:assert/strict";
export const name = "count_vowels";
export const description = "Counts the vowels (a, e, i, o, u) in a text, ignoring case.";
export const schema = { type: "object", properties: { text: { type: "string" } }, required: ["text"] };
export default function count_vowels({ text }: { text: string }): number {
  return (text.toLowerCase().match(/[aeiou]/g) ?? []).length;
}
export function test(): void {
  assert.equal(count_vowels({ text: "Onomatopoeia" }), 8);
  assert.equal(count_vowels({ text: "rhythm" }), 0);
}
\`\`\``;

export const LIBRARY_TOOLS = [
  { file: "to_roman.ts", source: ROMAN_TOOL },
  { file: "days_between.ts", source: DAYS_TOOL },
];

export const CONVERSATION: ScriptedTurn[] = [
  {
    question: "What is 1987 in Roman numerals?",
    tool: { name: "to_roman", args: { n: 1987 } },
    brick:
      "to_roman(1987) returned MCMLXXXVII. Check: M = 1000, CM = 900, LXXX = 80, VII = 7, and 1000 + 900 + 80 + 7 = 1987. The result is exact; nothing remains uncertain.",
    robin: "A clear, single answer is what they want. Showing the breakdown briefly helps them trust it and learn the pattern.",
    babs: "- MCMLXXXVII is correct (tool result, verified by the sum 1000 + 900 + 80 + 7).\n- CM for 900 is the standard subtractive form.",
    answer:
      "1987 in Roman numerals is **MCMLXXXVII**: M (1000) + CM (900) + LXXX (80) + VII (7). The subtractive CM stands for 900, one hundred less than a thousand.",
  },
  {
    question: "Why do some clocks show IIII instead of IV?",
    brick:
      "No computation is needed. Known explanations: visual balance against VIII on the opposite side, tradition from sundials and early clocks, and simpler casting of the numerals. No single documented origin exists.",
    robin:
      "This is curiosity, so a friendly short explanation with the main reasons works best; avoid sounding too certain about a disputed history.",
    babs: "- IIII on clock faces is well documented (common knowledge).\n- The reasons are traditional explanations, not one proven origin; say so.",
    answer:
      "It is mostly tradition and looks: IIII balances VIII across the dial, it echoes older sundials and clocks, and it made the numerals simpler to cast. There is no single proven origin, so clockmakers simply kept the custom.",
  },
  {
    question: "How many days are there from 2024-01-01 to 2024-12-25?",
    tool: { name: "days_between", args: { from: "2024-01-01", to: "2024-12-25" } },
    brick:
      "days_between returned 359. 2024 is a leap year, so February has 29 days; counting from January 1 to December 25 gives 359 days. The count excludes the start day.",
    robin: "They may be counting down to Christmas; a direct number plus a note on how it was counted avoids confusion.",
    babs: "- 359 days is correct (tool result; 2024 is a leap year).\n- Counting both ends would give 360: worth one sentence.",
    answer:
      "There are **359 days** from 2024-01-01 to 2024-12-25 (2024 is a leap year). If you count both the first and the last day, it is 360.",
  },
  {
    question: "Thanks! Any tip for remembering Roman numerals?",
    brick:
      "No tool needed. Useful mnemonics: 'I Value Xylophones Like Cows Do Milk' for I, V, X, L, C, D, M in order; the subtractive rule allows only I, X and C before the next two larger letters.",
    robin: "A warm, practical tip is enough; one mnemonic and one rule keeps it easy to remember.",
    babs: "- The mnemonic order I, V, X, L, C, D, M is right.\n- Subtractive pairs: IV, IX, XL, XC, CD, CM; nothing else is standard.",
    answer:
      'Try the mnemonic "I Value Xylophones Like Cows Do Milk" for I, V, X, L, C, D, M (1 to 1000). Then remember one rule: only I, X and C go before a larger letter, as in IV, IX, XL, XC, CD and CM.',
  },
  {
    question: "And what is 2024 in Roman numerals?",
    tool: { name: "to_roman", args: { n: 2024 } },
    brick: "to_roman(2024) returned MMXXIV. Check: MM = 2000, XX = 20, IV = 4, total 2024. Exact.",
    robin: "Short follow-up; they want the number quickly, maybe with the same kind of breakdown as before.",
    babs: "- MMXXIV is correct (tool result; 2000 + 20 + 4).",
    answer: "2024 is **MMXXIV**: MM (2000) + XX (20) + IV (4).",
  },
  {
    question: "Great, that's all I needed.",
    brick: "Nothing to compute; the user is closing the conversation.",
    robin: "A brief, warm goodbye; no more information needed.",
    babs: "- Nothing to check.",
    answer: "Glad it helped! Enjoy your Roman numerals.",
  },
];

export const FORGE_TURN: ScriptedTurn = {
  question: "How many vowels are in the word 'onomatopoeia'?",
  forge: {
    spec: "count_vowels: counts the vowels (a, e, i, o, u) in a text, ignoring case. Input: {text: string}. Output: number of vowels.",
    module: VOWELS_TOOL,
  },
  tool: { name: "count_vowels", args: { text: "onomatopoeia" } },
  brick: "count_vowels returned 8 for 'onomatopoeia': o, o, a, o, o, e, i, a. Exact count.",
  robin: "A playful word; they probably enjoy the answer with the letters shown.",
  babs: "- 8 vowels is correct (tool result): o-n-o-m-a-t-o-p-o-e-i-a.",
  answer: "'Onomatopoeia' has **8 vowels**: o, o, a, o, o, e, i, a.",
};

export type Speaker = "brick" | "robin" | "babs" | "alfred" | "forge" | "plan" | "agent";

const PERSONA = /\b(ROBIN|BABS|ALFRED)\b/;

/** Who a request is from, read from what it says (see the file comment). */
export function speakerOf(request: OllamaChatRequest): Speaker {
  if (typeof request.format === "object" && request.format !== null) return "plan";
  const system = request.messages.find((m) => m.role === "system")?.content ?? "";
  if (/export function test\(\)/.test(system) && /typescript/.test(system)) return "forge";
  const last = request.messages.at(-1);
  const lastText = last && last.role !== "tool" ? last.content : "";
  const cue = lastText.match(/^\W*(ROBIN|BABS|ALFRED)\b/) ?? lastText.match(new RegExp(`${PERSONA.source}[,:]? (?:it is )?your turn`, "i"));
  if (cue) return cue[1]!.toLowerCase() as Speaker;
  const role = /You are (BRICK|ROBIN|BABS|ALFRED)\b/.exec(system);
  if (role) return role[1]!.toLowerCase() as Speaker;
  return /\bBRICK\b/.test(system) ? "brick" : "agent";
}

/** The turn a request belongs to: the last user message that is one of the script's questions. */
function turnOf(request: OllamaChatRequest, turns: readonly ScriptedTurn[]): { turn: ScriptedTurn; index: number } | null {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role !== "user") continue;
    const turn = turns.find((t) => message.content.includes(t.question));
    if (turn) return { turn, index: i };
  }
  return null;
}

function after(request: OllamaChatRequest, index: number, test: (m: OllamaChatMessage) => boolean): boolean {
  return request.messages.slice(index + 1).some(test);
}

/** The stand-in's reply to any request of ToolForge's or of the single agent. */
export function standInReply(request: OllamaChatRequest, turns: readonly ScriptedTurn[]): ScriptedReply {
  const speaker = speakerOf(request);
  if (speaker === "plan")
    return { content: JSON.stringify({ goal: "Answer the question exactly.", steps: ["Check the facts", "Answer"] }) };
  const found = turnOf(request, turns);
  if (speaker === "forge") {
    const forge = turns.find((t) => t.forge && request.messages.some((m) => m.content.includes(t.forge!.spec.split(":")[0]!)))?.forge;
    return { content: forge?.module ?? "I cannot write this tool." };
  }
  if (!found) return { content: "I am not sure what was asked." };
  const { turn, index } = found;
  const toolDone = after(request, index, (m) => m.role === "tool" || (m.role === "user" && /Tool result|tool.*returned/i.test(m.content)));
  if (speaker === "brick" || speaker === "agent") {
    if (turn.forge && !toolDone) {
      const forged = after(request, index, (m) => m.content.includes(`"${turn.tool!.name}"`) && /forged|installed|exists/.test(m.content));
      const bound = request.tools?.some((t) => t.function.name === turn.tool!.name);
      if (speaker === "brick" && !forged && !bound) return { content: `I need a tool for this.\n\nTOOL_REQUIRED: ${turn.forge.spec}` };
    }
    if (turn.tool && !toolDone) return { toolCalls: [{ name: turn.tool.name, arguments: turn.tool.args }] };
    return { content: speaker === "brick" ? turn.brick : turn.answer };
  }
  if (speaker === "robin") return { content: turn.robin };
  if (speaker === "babs") return { content: turn.babs };
  return { content: turn.answer };
}
