/** GET /healthz: 200 while the server can serve (with each component's status), 503 while it shuts down. */
import { Router } from "express";
import type { HealthReport } from "../health.js";

export function healthRouter(health: () => Promise<HealthReport>, isShuttingDown: () => boolean): Router {
  const router = Router();
  router.get("/healthz", async (_req, res) => {
    if (isShuttingDown()) {
      res.status(503).json({ status: "shutting_down", checks: {} });
      return;
    }
    res.status(200).json(await health());
  });
  return router;
}
