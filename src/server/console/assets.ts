/**
 * Serves the console: `GET /` is the page, `/console/app.js` and `/console/app.css` its code and
 * style. These need no API key (a browser cannot send one when it opens a page, and they hold no
 * data); the page asks for the key and sends it with every request it makes to the API. The
 * Content-Security-Policy allows nothing but this server: no inline script, no other origin.
 */
import { Router, type Response } from "express";
import { errorMessage } from "../../errors.js";
import { HttpError } from "../errors.js";
import { loadConsoleAssets, type ConsoleAsset, type ConsoleAssets } from "./bundle.js";

const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Where the console's page is served: what a person opens in a browser. */
export const CONSOLE_PAGE = "/";

const ROUTES: Record<string, string> = {
  [CONSOLE_PAGE]: "index.html",
  "/console/app.js": "app.js",
  "/console/app.css": "app.css",
};

export function consoleAssetsRouter(load: () => Promise<ConsoleAssets> = loadConsoleAssets): Router {
  let assets: Promise<ConsoleAssets> | null = null;
  const router = Router();
  for (const [route, file] of Object.entries(ROUTES)) {
    router.get(route, async (req, res) => {
      assets ??= load().catch((error: unknown) => {
        assets = null;
        throw new HttpError(503, "console_unavailable", `the console could not be built: ${errorMessage(error)}`, {
          hint: "run `npm run build` (it writes dist/console/), or check that the console/ sources and preact are installed",
          cause: error,
        });
      });
      const asset = (await assets).get(file);
      if (!asset) throw new HttpError(503, "console_unavailable", `the console's ${file} is missing`, { hint: "run `npm run build`" });
      send(res, asset, req.get("if-none-match"));
    });
  }
  return router;
}

function send(res: Response, asset: ConsoleAsset, ifNoneMatch: string | undefined): void {
  res.setHeader("Content-Security-Policy", CONSOLE_CSP);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cache-Control", "no-cache");
  res.setHeader("ETag", asset.etag);
  if (ifNoneMatch === asset.etag) {
    res.status(304).end();
    return;
  }
  res.type(asset.contentType).send(asset.body);
}
