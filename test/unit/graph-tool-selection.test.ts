/**
 * BRICK binds the right few through the real graph, ChatOllama and the scripted Ollama server:
 * with a library larger than TOOL_BIND_LIMIT, each request carries at most that many tools
 * (find_tools and the turn's matches); a tool found through find_tools is bound on BRICK's next
 * call; tools used earlier in the thread stay bound; a tool the forge found before forging is
 * bound after its note. The library is installed straight into the store (nothing runs in a
 * sandbox: BRICK only calls find_tools, a built-in).
 */
import { describe, expect, it } from "vitest";
import type { NewToolVersion } from "../../src/store/index.js";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";
import { brickRequests, MODELS, scriptBrick, turn, useGraph } from "../support/graph.js";

function tool(toolName: string, description: string): NewToolVersion {
  return toolVersion(toolName, "return 1;", { description, schema: { type: "object", properties: { value: { type: "string" } } } });
}

const LIBRARY: [string, string][] = [
  ["word_count", "Counts the words in a text."],
  ["reverse_text", "Reverses the characters of a text."],
  ["celsius_to_fahrenheit", "Converts a temperature from degrees Celsius to degrees Fahrenheit."],
  ["is_prime", "Tells whether a whole number is prime."],
  ["sort_numbers", "Sorts a list of numbers in ascending order."],
  ["extract_hashtags", "Extracts the hashtags from a social media post."],
  ["roman_numerals", "Writes a whole number in Roman numerals."],
  ["median_value", "Finds the median of a list of numbers."],
  ["slugify_title", "Turns a title into a URL slug."],
  ["leap_year", "Tells whether a year is a leap year."],
  ["vowel_count", "Counts the vowels in a text."],
  ["gcd", "Greatest common divisor of two integers."],
];

const toolNames = (request: OllamaChatRequest | undefined) => (request?.tools ?? []).map((t) => t.function.name);

describe("the tools BRICK gets bound in the graph", () => {
  const ctx = useGraph({ checkpointer: false, env: { TOOL_BIND_LIMIT: "4" } });

  it("binds at most TOOL_BIND_LIMIT tools, and what find_tools found on the next call", async () => {
    for (const [name, description] of LIBRARY) await ctx.h.runtime.store.installToolVersion(tool(name, description));
    ctx.ollama.respondWith(
      scriptBrick((_r, n) =>
        n === 0 ? { toolCalls: [{ name: "find_tools", arguments: { query: "temperature in fahrenheit" } }] } : "Found the converter.",
      ),
    );
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("How warm is 21 outside, in the units Americans use?"));
    const [first, second] = brickRequests(ctx.ollama, before);
    expect(toolNames(first).length).toBeLessThanOrEqual(4);
    expect(toolNames(first)[0]).toBe("find_tools");
    expect(toolNames(first)).not.toContain("celsius_to_fahrenheit");
    const found = second!.messages.find((m) => m.role === "tool");
    expect(JSON.parse(found!.content)).toMatchObject({ tools: [{ name: "celsius_to_fahrenheit" }] });
    expect(toolNames(second)).toContain("celsius_to_fahrenheit");
    expect(toolNames(second).length).toBeLessThanOrEqual(4);
    expect(result.answer).toBe(`${MODELS.alfred} says ok`);
  });

  it("keeps a tool used earlier in the thread bound in a later turn", async () => {
    ctx.ollama.respondWith(
      scriptBrick((request, n) => {
        if (n === 0) return { toolCalls: [{ name: "roman_numerals", arguments: { value: "1999" } }] };
        return request.messages.some((m) => m.role === "tool") && n === 1 ? "MCMXCIX" : "Noted.";
      }),
    );
    const thread = { configurable: { thread_id: "selection-thread" } };
    const withCheckpoints = ctx.h; // the harness has no checkpointer: carry the messages ourselves
    const first = await withCheckpoints.graph.invoke(turn("Write 1999 in Roman numerals"), thread);
    const before = ctx.ollama.chatRequests.length;
    await withCheckpoints.graph.invoke(
      { messages: [...first.messages, ...turn("Now tell me whether 2024 is a leap year").messages] },
      thread,
    );
    const [next] = brickRequests(ctx.ollama, before);
    expect(toolNames(next)).toContain("roman_numerals");
    expect(toolNames(next)).toContain("leap_year");
    expect(toolNames(next).length).toBeLessThanOrEqual(4);
  });
});
