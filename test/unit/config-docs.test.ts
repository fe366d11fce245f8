import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, PROJECT_ROOT, SETTING_NAMES } from "../../src/config.js";
import { parse } from "dotenv";

describe(".env.example", () => {
  const text = readFileSync(path.join(PROJECT_ROOT, ".env.example"), "utf8");
  const example = parse(text);

  it("documents every setting ToolForge reads, and nothing else", () => {
    expect(Object.keys(example).sort()).toEqual([...SETTING_NAMES].sort());
  });

  it("holds values that the configuration accepts, equal to the defaults", () => {
    expect(loadConfig(example)).toEqual(loadConfig({}));
  });
});
