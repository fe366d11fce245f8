// One linter for the whole tree: ESLint with typescript-eslint. Type-aware rules catch what the
// compiler does not (a promise nobody awaits, an async callback where a sync one is expected);
// formatting is Prettier's job, not ESLint's.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import { ROOM_LAYERS } from "./eslint-rules/room-layers.js";
import rooms from "./eslint-rules/rooms.js";

export default tseslint.config(
  {
    // Generated files, and the modules the forge and the audit read as data (hostile on purpose).
    ignores: [
      "dist/**",
      "node_modules/**",
      "dynamic_tools/**",
      "data/**",
      "bench/results/**",
      "test/artifacts/**",
      "test/fixtures/**",
      ".langgraph_api/**",
      "coverage/**",
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/only-throw-error": "error",
      "@typescript-eslint/prefer-promise-reject-errors": "error",
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/no-unnecessary-type-assertion": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { rooms },
    rules: { "rooms/one-direction": ["error", { srcDir: "src", layers: ROOM_LAYERS }] },
  },
  {
    // Tests read JSON answers of every shape; spelling each out would say nothing the assertions do not.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { ...globals.node } },
  },
);
