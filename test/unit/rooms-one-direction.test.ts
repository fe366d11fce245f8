/**
 * The rooms of src/ depend one way (docs/architecture.md): the lint rule that keeps it so refuses
 * an import from a room beside or above, type-only imports and dynamic import() included, and the
 * tree as it is has no circle between rooms.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
// The rule and the layers exactly as the project's ESLint configuration has them.
import rooms from "../../eslint-rules/rooms.js";
import { ROOM_LAYERS } from "../../eslint-rules/room-layers.js";

const eslint = new ESLint({
  cwd: PROJECT_ROOT,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser },
      plugins: { rooms },
      rules: { "rooms/one-direction": ["error", { srcDir: "src", layers: ROOM_LAYERS }] },
    },
  ],
});

async function lintAs(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(PROJECT_ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === "rooms/one-direction").map((m) => m.message);
}

describe("the one-direction rule between rooms", () => {
  it("refuses an import of a room above, and names both rooms and what to do", async () => {
    const messages = await lintAs(
      "src/tools/circular.ts",
      'import { createForge } from "../forge/forge.js";\nexport const f = createForge;\n',
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/The room "tools" \(layer \d+\) imports "..\/forge\/forge.js" from the room "forge"/);
    expect(messages[0]).toMatch(/Move what both need into a room below them/);
  });

  it("refuses type-only imports, re-exports and dynamic imports upward too", async () => {
    const code = [
      'import type { Forge } from "../forge/types.js";',
      'export type { Runtime } from "../runtime.js";',
      'export const load = () => import("../server/index.js");',
      "export type F = Forge;",
    ].join("\n");
    expect(await lintAs("src/tools/circular.ts", code)).toHaveLength(3);
  });

  it("refuses an import of a room beside it", async () => {
    expect(
      await lintAs("src/store/beside.ts", 'import type { Sandbox } from "../sandbox/types.js";\nexport type S = Sandbox;\n'),
    ).toHaveLength(1);
  });

  it("allows imports from lower rooms and within a room", async () => {
    const code =
      'import { errorMessage } from "../errors.js";\nimport { FIND_TOOLS } from "./find-tools.js";\nexport const x = [errorMessage, FIND_TOOLS];\n';
    expect(await lintAs("src/tools/fine.ts", code)).toEqual([]);
  });
});

describe("src/ as it is", () => {
  it("has no circle between its rooms", () => {
    const src = path.join(PROJECT_ROOT, "src");
    const roomOf = (file: string) => path.relative(src, file).split(path.sep)[0]!.replace(/\.ts$/, "");
    const edges = new Map<string, Set<string>>();
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
      );
    for (const file of walk(src)) {
      for (const match of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
        const target = roomOf(path.resolve(path.dirname(file), match[1]!));
        const from = roomOf(file);
        if (target !== from && !target.startsWith("..")) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(target);
      }
    }
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      [...(edges.get(from) ?? [])].some((next) => next === to || (!seen.has(next) && (seen.add(next), reaches(next, to, seen))));
    const circles = [...edges.keys()].filter((room) => reaches(room, room));
    expect(circles).toEqual([]);
  });
});
