import { describe, expect, it } from "vitest";
import {
  isMessageSelector,
  isSelector,
  isToolName,
  MAX_MESSAGE_SELECTOR_LENGTH,
  MAX_NAME_LENGTH,
  methodSelectorOf,
  nameProblem,
  ownNetworkHost,
  quotedName,
  RESERVED_TOOL_NAMES,
  teachingSkill,
} from "../../src/contract.js";
import { FORGE_TOOL } from "../../src/mcp/tools.js";
import { builtinEntries } from "../../src/tools/builtins.js";

describe("the contract's names", () => {
  it("takes snake_case names up to the limit and refuses reserved words", () => {
    expect(isToolName("word_count")).toBe(true);
    expect(isToolName("a".repeat(MAX_NAME_LENGTH))).toBe(true);
    expect(isToolName("a".repeat(MAX_NAME_LENGTH + 1))).toBe(false);
    for (const bad of ["WordCount", "_x", "1a", "a-b", "", "constructor", "prototype", 42, null])
      expect(isToolName(bad), String(bad)).toBe(false);
  });

  it("says why a name is refused", () => {
    expect(nameProblem("word_count")).toBeNull();
    expect(nameProblem("Word Count")).toMatch(/is not snake_case/);
    expect(nameProblem("a".repeat(MAX_NAME_LENGTH + 1))).toMatch(/longer than 64 characters/);
    expect(nameProblem("constructor")).toMatch(/is a reserved name/);
  });

  it("quotes a name back whole when it could be one, and only its start and length when it cannot", () => {
    expect(quotedName("Word Count")).toBe('"Word Count"');
    const long = "x".repeat(10_080);
    const quoted = quotedName(long);
    expect(quoted).toBe(`"${"x".repeat(39)}…" (10080 characters; a name has at most 64)`);
    expect(quoted.length).toBeLessThan(100);
  });

  it("reserves the name of every tool ToolForge brings itself: the library's built-ins and MCP's forge_tool", () => {
    const own = [...builtinEntries([], undefined, async () => []).keys(), FORGE_TOOL.name];
    expect(own.sort()).toEqual(["find_tools", "forge_tool"]);
    for (const name of own) expect(RESERVED_TOOL_NAMES.has(name), name).toBe(true);
  });

  it("keeps the teach prefix for messages: a method is never named with it", () => {
    expect(isSelector("greet")).toBe(true);
    expect(isSelector("teach_yourself_to_greet")).toBe(false);
    expect(isMessageSelector("teach_yourself_to_greet")).toBe(true);
    expect(teachingSkill("teach_yourself_to_greet")).toBe("greet");
    expect(teachingSkill("teach_yourself_to_")).toBeNull();
    expect(teachingSkill("greet")).toBeNull();
    expect(methodSelectorOf("teach_yourself_to_greet")).toBe("greet");
    expect(methodSelectorOf("greet")).toBe("greet");
  });

  it("lets a teaching message name the longest selector", () => {
    const longest = "a".repeat(MAX_NAME_LENGTH);
    const teaching = `teach_yourself_to_${longest}`;
    expect(teaching.length).toBe(MAX_MESSAGE_SELECTOR_LENGTH);
    expect(isMessageSelector(teaching)).toBe(true);
    expect(isMessageSelector(`${teaching}a`)).toBe(false);
  });
});

describe("hosts on a person's own network", () => {
  it("offers the private-network mark for IPv4 addresses and local names, never for public names", () => {
    expect(ownNetworkHost("127.0.0.1:8080")).toBe("address");
    expect(ownNetworkHost("192.168.1.20")).toBe("address");
    for (const name of ["localhost", "localhost:3000", "nas", "nas:5000", "printer.local", "nas.lan", "hub.home.arpa", "db.internal"])
      expect(ownNetworkHost(name), name).toBe("name");
    for (const name of ["api.frankfurter.app", "api.example.com:8443", "local.example.com", "lan.example.org", "1.2.3.example.com"])
      expect(ownNetworkHost(name), name).toBeNull();
  });
});
