/**
 * Module loading: a forged module is self-contained. The only import is the builtin assert module
 * (in any of its spellings, ../names.ts ALLOWED_IMPORTS); no re-exports, no import(), no import.meta.
 */
import { ALLOWED_IMPORTS } from "../names.js";
import type { RuleFamily } from "./context.js";

const ONLY_ASSERT =
  'a forged module may import only the builtin assert module (`import assert from "node:assert/strict"`, or "assert", "node:assert", "assert/strict"); compute everything else from the input.';

export const imports: RuleFamily = {
  name: "imports",
  rules: ["import-forbidden", "dynamic-import", "import-meta"],
  create: (context) => ({
    ImportDeclaration(node) {
      if (!ALLOWED_IMPORTS.has(String(node.source.value))) {
        context.report("import-forbidden", `import of ${JSON.stringify(node.source.value)}: ${ONLY_ASSERT}`, node.source);
      }
    },
    ExportAllDeclaration(node) {
      context.report(
        "import-forbidden",
        `re-export from ${JSON.stringify(node.source.value)}: a forged module may not import other modules.`,
        node.source,
      );
    },
    ExportNamedDeclaration(node) {
      if (node.source)
        context.report(
          "import-forbidden",
          `re-export from ${JSON.stringify(node.source.value)}: a forged module may not import other modules.`,
          node.source,
        );
    },
    ImportExpression(node) {
      context.report("dynamic-import", "dynamic import() loads modules at run time (child_process, fs, …); it is not allowed.", node);
    },
    MetaProperty(node) {
      if (node.meta.name === "import")
        context.report("import-meta", "`import.meta` exposes the module's location and resolver; it is not allowed.", node);
    },
  }),
};
