import type { ESLint } from "eslint";

/** The local ESLint plugin with the rule `one-direction` (see rooms.js). */
declare const rooms: ESLint.Plugin;
export default rooms;
