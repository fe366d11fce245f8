/** Node.js: ToolForge needs 20 or newer (package.json engines). */
import { failed, passed, type DoctorCheck } from "./types.js";

const MINIMUM_NODE_MAJOR = 20;

export function checkNode(version: string = process.version): DoctorCheck {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= MINIMUM_NODE_MAJOR) return passed("Node.js", version);
  return failed(
    "Node.js",
    `${version} is too old: ToolForge needs ${MINIMUM_NODE_MAJOR} or newer`,
    `install Node.js ${MINIMUM_NODE_MAJOR} or newer (e.g. \`nvm install ${MINIMUM_NODE_MAJOR}\`)`,
  );
}
