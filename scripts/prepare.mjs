// npm's `prepare`: builds dist/ (`npm run build`) when the package is installed — from git, or
// `npm install` in a clone — and when it is packed. npm also runs it when `npx toolforge` in a
// clone links the project into npx's cache (then npm_command is "exec"), where the build's output
// is hidden and the command answered only after it, ~20 s later. There it is skipped: the clone's
// install built dist/ already, and bin/toolforge.js runs the source when dist/ is missing.
import { spawnSync } from "node:child_process";

if (process.env.npm_command === "exec") process.exit(0);
const npm = process.env.npm_execpath;
const build = npm
  ? spawnSync(process.execPath, [npm, "run", "build"], { stdio: "inherit" })
  : spawnSync("npm", ["run", "build"], { stdio: "inherit", shell: process.platform === "win32" });
if (build.error) {
  console.error(`toolforge: could not run \`npm run build\`: ${build.error.message}`);
  process.exit(1);
}
process.exit(build.status ?? 1);
