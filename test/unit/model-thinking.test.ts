import { describe, expect, it } from "vitest";
import { splitThinking, withoutThinking } from "../../src/util/thinking.js";

describe("thinking in a model's content", () => {
  it("moves a <think> block out of the content (qwen3, deepseek-r1 without Ollama's thinking field)", () => {
    const split = splitThinking("<think>\nMaybe TOOL_REQUIRED: x\n</think>\n\nThe answer is 4.");
    expect(split).toEqual({ thinking: "Maybe TOOL_REQUIRED: x", content: "The answer is 4." });
  });

  it("treats everything before a lone closing tag as thinking (the template opened it in the prompt)", () => {
    expect(splitThinking("first I reason\n</think>\nDone.")).toEqual({ thinking: "first I reason", content: "Done." });
  });

  it("treats an unclosed block as thinking cut off mid-way, keeping what came before", () => {
    expect(splitThinking("Intro.\n<think>still reasoning about ```ts code")).toEqual({
      thinking: "still reasoning about ```ts code",
      content: "Intro.",
    });
  });

  it("handles several blocks, other tag names and any case", () => {
    const split = splitThinking("<THINK>a</THINK>x <thinking>b</thinking> y<reasoning>c</reasoning>z");
    expect(split.thinking).toBe("a\n\nb\n\nc");
    expect(split.content).toBe("x  yz");
  });

  it("leaves text without thinking unchanged but trimmed", () => {
    expect(splitThinking("  plain <b>html</b> answer ")).toEqual({ thinking: "", content: "plain <b>html</b> answer" });
    expect(withoutThinking("<think></think>ok")).toBe("ok");
  });
});
