import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { PERSONAS, PERSONA_ORDER, parseToolRequest, TOOL_REQUIRED_MARKER, createPersonaModel } from "../../src/personas/index.js";
import { requestedToolName } from "../../src/forge/names.js";
import { TEAM_PROMPT, cueText } from "../../src/personas/team.js";

describe("the personas", () => {
  it("are BRICK, ROBIN, BABS and ALFRED, in speaking order, each with a role of its own", () => {
    expect(PERSONA_ORDER.map((p) => PERSONAS[p].title)).toEqual(["BRICK", "ROBIN", "BABS", "ALFRED"]);
    const roles = PERSONA_ORDER.map((p) => PERSONAS[p].role);
    expect(new Set(roles).size).toBe(4);
    roles.forEach((role, i) => expect(role).toContain(`You are ${PERSONAS[PERSONA_ORDER[i]!].title}`));
  });

  it("share one system prompt that names all four and what each does, and are given the word by a cue naming them", () => {
    for (const name of PERSONA_ORDER)
      expect(TEAM_PROMPT).toContain(`${PERSONAS[name].title}, ${PERSONAS[name].summary}: ${PERSONAS[name].duties}`);
    for (const name of ["robin", "babs", "alfred"] as const)
      expect(cueText(PERSONAS[name])).toMatch(new RegExp(`^${PERSONAS[name].title}\\b`));
    expect(cueText(PERSONAS.babs, ["A tool failed."])).toMatch(/Notices: A tool failed\.$/);
  });

  it("only BRICK needs a tool-capable model", () => {
    expect(PERSONA_ORDER.filter((p) => PERSONAS[p].requiresTools)).toEqual(["brick"]);
  });

  it("BRICK's part teaches the TOOL_REQUIRED line with a name the forge can read, in the team's prompt and alone", () => {
    expect(TEAM_PROMPT).toContain(PERSONAS.brick.duties);
    const role = PERSONAS.brick.role;
    expect(role).toContain(TOOL_REQUIRED_MARKER);
    const example = role.split("\n").find((line) => line.startsWith(`${TOOL_REQUIRED_MARKER} word_count`));
    expect(example).toBeDefined();
    const request = parseToolRequest(example!);
    expect(request).not.toBeNull();
    expect(requestedToolName(request!.spec)).toBe("word_count");
  });

  it("each persona's model comes from its variable and talks to OLLAMA_HOST", () => {
    const config = loadConfig({ OLLAMA_HOST: "http://10.1.2.3:9999", ROBIN_MODEL: "tiny-robin:1b" });
    const model = createPersonaModel(config, "robin");
    expect(model.model).toBe("tiny-robin:1b");
    expect(model.baseUrl).toBe("http://10.1.2.3:9999");
    expect(createPersonaModel(config, "brick").model).toBe(config.models.brick);
    expect(PERSONAS.robin.modelVariable).toBe("ROBIN_MODEL");
  });
});

describe("reading BRICK's TOOL_REQUIRED line", () => {
  it("takes the spec after the marker at the end of the answer", () => {
    const text = "I cannot count reliably.\nTOOL_REQUIRED: word_count: counts words. Input: {text: string}. Output: number.";
    expect(parseToolRequest(text)).toEqual({ spec: "word_count: counts words. Input: {text: string}. Output: number." });
  });

  it("tolerates markdown around the marker and keeps wrapped Input/Output lines", () => {
    const text =
      "Analysis.\n\n**TOOL_REQUIRED:** roman_numeral: converts an integer to Roman numerals.\nInput: {n: integer}\nOutput: string";
    expect(parseToolRequest(text)?.spec).toBe("roman_numeral: converts an integer to Roman numerals.\nInput: {n: integer}\nOutput: string");
  });

  it("finds nothing in an ordinary answer, or in a marker with no spec", () => {
    expect(parseToolRequest("The answer is 24. No tool required.")).toBeNull();
    expect(parseToolRequest("TOOL_REQUIRED:   ")).toBeNull();
  });

  it("uses the last marker when BRICK wrote more than one", () => {
    const text = "TOOL_REQUIRED: first_tool: a\nthen\nTOOL_REQUIRED: second_tool: b";
    expect(parseToolRequest(text)?.spec).toBe("second_tool: b");
  });
});
