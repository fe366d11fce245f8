/**
 * Shared by the MCP integration tests: the forge model's scripted replies (canonical ```typescript
 * modules of the forged-module contract), an SDK Client that records every tools/list_changed it
 * hears (with the refreshed list), and small helpers.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { TOOL_EXAMPLE } from "../../src/forge/prompt.js";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";
import { reply } from "./forge-fixtures.js";
import { mentions } from "./test-server.js";

export const REVERSE_WORDS_SPEC = "reverse_words: reverses the order of the words in a text. Input: {text: string}. Output: string.";
export const CUBE_SPEC = "cube_number: cubes a number. Input: {n: number}. Output: number.";

export const REVERSE_WORDS = reply(`
import assert from "node:assert/strict";

export const name = "reverse_words";
export const description = "Reverses the order of the words in a text.";
export const schema = {
  type: "object",
  properties: { text: { type: "string", description: "The text whose words are reversed." } },
  required: ["text"],
  additionalProperties: false,
};

export default function reverse_words({ text }: { text: string }): string {
  return text.trim().split(/\\s+/).filter(Boolean).reverse().join(" ");
}

export function test(): void {
  assert.equal(reverse_words({ text: "a b  c" }), "c b a");
  assert.equal(reverse_words({ text: "  " }), "");
}
`);

/** First try at cube_number: reads a file, which the audit refuses (line 2). */
export const CUBE_READS_FILE = reply(`
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export const name = "cube_number";
export const description = "Cubes a number.";
export const schema = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };

export default function cube_number({ n }: { n: number }): number {
  return Number(readFileSync("/dev/null", "utf8") || n) ** 3;
}

export function test(): void {
  assert.equal(cube_number({ n: 3 }), 27);
}
`);

/** Second try: squares instead of cubing, so its own test fails at line 12. */
export const CUBE_SQUARES = reply(`
import assert from "node:assert/strict";

export const name = "cube_number";
export const description = "Cubes a number.";
export const schema = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };

export default function cube_number({ n }: { n: number }): number {
  return n * n;
}

export function test(): void {
  assert.equal(cube_number({ n: 3 }), 27);
}
`);

/** The forge model: reverse_words passes; cube_number fails the audit, then its own test; word_count passes. */
export function forgeReplies(): (request: OllamaChatRequest) => string {
  let cubeAttempts = 0;
  return (request) => {
    // By the spec (names also appear in the prompt's list of existing tools).
    if (mentions(request, CUBE_SPEC)) return ++cubeAttempts % 2 === 1 ? CUBE_READS_FILE : CUBE_SQUARES;
    if (mentions(request, REVERSE_WORDS_SPEC)) return REVERSE_WORDS;
    return `Here it is.\n\n${TOOL_EXAMPLE}`;
  };
}

export function textOf(result: unknown): string {
  return (result as CallToolResult).content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

export interface RecordingClient {
  client: Client;
  /** The tool names of the list each tools/list_changed led to, in order. */
  changes: string[][];
  /** Errors the client reported (e.g. a line on stdout that is not protocol). */
  errors: Error[];
}

/** An unmodified SDK Client that refreshes its tool list on every list_changed and records it. */
export function recordingClient(): RecordingClient {
  const changes: string[][] = [];
  const errors: Error[] = [];
  const client = new Client(
    { name: "toolforge-mcp-test", version: "1.0.0" },
    {
      listChanged: {
        tools: {
          debounceMs: 0,
          onChanged: (error, tools) => {
            if (error) errors.push(error);
            else changes.push((tools ?? []).map((tool) => tool.name));
          },
        },
      },
    },
  );
  client.onerror = (error) => errors.push(error);
  return { client, changes, errors };
}
