/**
 * Writes the web console's assets (index.html, app.js, app.css) to dist/console/, where the
 * server built into dist/ reads them. Part of `npm run build`.
 */
import { CONSOLE_DIST_DIR, writeConsoleAssets } from "../src/server/console/bundle.js";

const files = await writeConsoleAssets(CONSOLE_DIST_DIR);
console.log(`console: wrote ${files.join(", ")} to ${CONSOLE_DIST_DIR}`);
