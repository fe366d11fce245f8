/**
 * Which tools BRICK gets bound (src/tools/selection.ts) over a real SQLite store and the lazy
 * registry: the bind limit holds with 200 tools installed, find_tools comes first, what a
 * find_tools call named is bound next, tools used in the thread stay bound, and the turn's best
 * matches fill the rest. No forged code runs (the sandbox refuses every job).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventBus } from "../../src/events.js";
import type { NewToolVersion } from "../../src/store/index.js";
import { createToolMirror } from "../../src/tools/mirror.js";
import { createToolRegistry, type LiveToolRegistry } from "../../src/tools/registry.js";
import { findToolsLimit, keepBound, selectTools, turnContext } from "../../src/tools/selection.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import { tempStore, toolVersion, type TempStore } from "../support/store.js";

function tool(toolName: string, description: string): NewToolVersion {
  return toolVersion(toolName, "return 1;", {
    description,
    schema: { type: "object", properties: { value: { type: "string" } }, required: ["value"] },
  });
}

const SUBJECTS = ["invoice", "temperature", "password", "playlist", "recipe", "sensor", "ticket", "receipt", "route", "inventory"];
const ACTIONS = [
  "validate",
  "format",
  "summarise",
  "normalise",
  "encode",
  "compress",
  "parse",
  "score",
  "merge",
  "archive",
  "tag",
  "rank",
  "audit",
  "export",
  "import",
  "clean",
  "split",
  "count",
  "hash",
  "label",
];

let temp: TempStore;
let toolsDir: string;
let registry: LiveToolRegistry;
const isUser = (m: BaseMessage) => HumanMessage.isInstance(m) && m.name !== "tool_forge";

async function library(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const subject = SUBJECTS[i % SUBJECTS.length]!;
    const action = ACTIONS[Math.floor(i / SUBJECTS.length) % ACTIONS.length]!;
    await temp.store.installToolVersion(
      tool(`${action}_${subject}_${i}`, `${action[0]!.toUpperCase()}${action.slice(1)}s a ${subject} record.`),
    );
  }
}

beforeEach(async () => {
  temp = await tempStore();
  toolsDir = await mkdtemp(path.join(os.tmpdir(), "toolforge-select-"));
});
afterEach(async () => {
  await temp.cleanup();
  await rm(toolsDir, { recursive: true, force: true });
});

async function openRegistry(limit: number): Promise<LiveToolRegistry> {
  return createToolRegistry({
    store: temp.store,
    sandbox: refusingSandbox,
    bus: new EventBus(),
    mirror: createToolMirror(toolsDir),
    findTools: { limit: findToolsLimit(limit) },
  });
}

describe("the tools BRICK gets bound", () => {
  it("holds the bind limit with 200 tools installed: find_tools plus the turn's best matches", async () => {
    await library(199);
    await temp.store.installToolVersion(
      tool("celsius_to_fahrenheit", "Converts a temperature from degrees Celsius to degrees Fahrenheit."),
    );
    registry = await openRegistry(8);
    expect(await registry.count()).toBe(201);
    const turn = turnContext([new HumanMessage("What is 21 degrees Celsius in Fahrenheit?")], isUser);
    const selection = await selectTools(registry, turn, 8);
    expect(selection.names.length).toBeLessThanOrEqual(8);
    expect(selection.names[0]).toBe("find_tools");
    expect(selection.names[1]).toBe("celsius_to_fahrenheit");
    expect(selection.reasons).toMatchObject({ find_tools: "find_tools", celsius_to_fahrenheit: "matched" });
    // A turn that matches many tools: exactly the limit, never more.
    const broad = turnContext([new HumanMessage("validate, format and parse the invoice, ticket and receipt records")], isUser);
    for (const limit of [1, 3, 5, 8, 12]) expect((await selectTools(registry, broad, limit)).names).toHaveLength(limit);
    expect((await registry.langChainToolsFor(selection.names)).map((t) => t.name)).toEqual(selection.names);
  });

  it("binds every tool, and no find_tools, while the whole library fits", async () => {
    await library(5);
    registry = await openRegistry(8);
    const selection = await selectTools(registry, turnContext([new HumanMessage("hello")], isUser), 8);
    expect(selection.names).toHaveLength(5);
    expect(selection.names).not.toContain("find_tools");
    expect(Object.values(selection.reasons)).toEqual(Array(5).fill("all"));
  });

  it("binds what a find_tools call named in this turn on the next call, then tools used in the thread, then matches", async () => {
    await library(60);
    await temp.store.installToolVersion(tool("celsius_to_fahrenheit", "Converts Celsius to Fahrenheit."));
    registry = await openRegistry(8);
    const found = await registry.call("find_tools", { query: "passwords" });
    expect(found.ok).toBe(true);
    const foundNames = (found.ok ? (found.result as { tools: { name: string }[] }).tools : []).map((t) => t.name);
    expect(foundNames).toHaveLength(findToolsLimit(8));
    const messages: BaseMessage[] = [
      new HumanMessage({ content: "count the tickets", id: "u1" }),
      new AIMessage({ content: "", name: "brick", tool_calls: [{ id: "c1", name: "normalise_ticket_36", args: { value: "x" } }] }),
      new ToolMessage({ content: "3", tool_call_id: "c1", name: "normalise_ticket_36" }),
      new AIMessage({ content: "There are 3.", name: "alfred" }),
      new HumanMessage({ content: "now convert 20 celsius to fahrenheit, and check my password", id: "u2" }),
      new AIMessage({ content: "", name: "brick", tool_calls: [{ id: "c2", name: "find_tools", args: { query: "passwords" } }] }),
      new ToolMessage({ content: JSON.stringify(found.ok ? found.result : null), tool_call_id: "c2", name: "find_tools" }),
    ];
    const turn = turnContext(messages, isUser);
    expect(turn.used).toEqual(["normalise_ticket_36"]);
    expect(turn.found).toEqual(foundNames);
    expect(turn.text).toContain("celsius");
    expect(turn.text).not.toContain("tickets");
    const selection = await selectTools(registry, turn, 8);
    expect(selection.names.slice(0, 1 + foundNames.length)).toEqual(["find_tools", ...foundNames]);
    expect(selection.reasons["normalise_ticket_36"]).toBe("used");
    expect(selection.names).toContain("celsius_to_fahrenheit");
    expect(selection.names.length).toBeLessThanOrEqual(8);
  });

  it("leaves out names that are no longer in the library", async () => {
    await library(20);
    registry = await openRegistry(4);
    const turn = { text: "", used: ["gone_tool"], found: ["also_gone", "validate_invoice_0"] };
    const selection = await selectTools(registry, turn, 4);
    expect(selection.names).toEqual(["find_tools", "validate_invoice_0"]);
  });
});

describe("the tools bound across a thread", () => {
  it("keep those bound earlier, in their order, and add the new ones at the end while they fit", async () => {
    await library(30);
    registry = await openRegistry(6);
    const [a, b, c, d, e] = (await registry.list()).filter((t) => t.origin === "forged").map((t) => t.name);
    const first = await keepBound(registry, [], ["find_tools", a!, b!], 6);
    expect(first).toEqual(["find_tools", a, b]);
    // The next turn wants other tools: the earlier ones stay in front, unchanged.
    const second = await keepBound(registry, first, ["find_tools", c!, a!], 6);
    expect(second).toEqual(["find_tools", a, b, c]);
    // Past the limit, tools this turn does not want go, oldest first; wanted ones never do.
    const third = await keepBound(registry, second, ["find_tools", d!, e!, c!], 5);
    expect(third).toEqual(["find_tools", b, c, d, e]);
  });

  it("drop a tool that is no longer in the library", async () => {
    await library(3);
    registry = await openRegistry(8);
    const names = (await registry.list()).map((t) => t.name);
    expect(await keepBound(registry, ["gone_tool", ...names], [], 8)).toEqual(names);
  });
});

describe("weak matches", () => {
  it("are left out: a match binds only at MATCH_SCORE_SHARE of the best match's score or more", async () => {
    await library(100);
    registry = await openRegistry(8);
    const text = "validate the invoice record"; // "record" is in every description: a weak match alone
    const matches = await registry.search(text, { limit: 30 });
    const { MATCH_SCORE_SHARE } = await import("../../src/tools/selection.js");
    const strong = matches.filter((m) => m.name !== "find_tools" && m.score >= MATCH_SCORE_SHARE * matches[0]!.score).map((m) => m.name);
    const selection = await selectTools(registry, { text, used: [], found: [] }, 30);
    expect(selection.names.slice(1)).toEqual(strong);
    expect(strong.length).toBeLessThan(matches.length);
  });
});

describe("what a bound tool costs", () => {
  it("sends a forged tool's first sentence, at most BOUND_DESCRIPTION_CHARS, and keeps the whole description in the store", async () => {
    const { boundDescription, BOUND_DESCRIPTION_CHARS } = await import("../../src/tools/langchain.js");
    const long = `Counts the words in a text. ${"Words are separated by spaces, tabs or line breaks. ".repeat(10)}`;
    expect(boundDescription(long)).toBe("Counts the words in a text.");
    expect(boundDescription("Task. Sum the digits of\n a number. Then more.")).toBe("Task. Sum the digits of a number.");
    expect(boundDescription("Return 2^n modulo p (be aware of numerics)")).toBe("Return 2^n modulo p (be aware of numerics)");
    const endless = "word ".repeat(100);
    expect(boundDescription(endless).length).toBeLessThanOrEqual(BOUND_DESCRIPTION_CHARS);
    expect(boundDescription(endless).endsWith("word…")).toBe(true);
    expect(boundDescription("x".repeat(400))).toHaveLength(BOUND_DESCRIPTION_CHARS);
    await temp.store.installToolVersion(tool("wordy_tool", long));
    registry = await openRegistry(8);
    const [bound] = await registry.langChainToolsFor(["wordy_tool"]);
    expect(bound!.description).toBe("Counts the words in a text.");
    expect((await temp.store.getTool("wordy_tool"))?.description).toBe(long);
    // A built-in's description is written for the model: bound whole.
    const { FIND_TOOLS_DESCRIPTION } = await import("../../src/tools/find-tools.js");
    const [findTools] = await registry.langChainToolsFor(["find_tools"]);
    expect(FIND_TOOLS_DESCRIPTION).not.toBe(boundDescription(FIND_TOOLS_DESCRIPTION));
    expect(findTools!.description).toBe(FIND_TOOLS_DESCRIPTION);
  });
});
