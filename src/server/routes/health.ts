/**
 * GET /healthz: 200 while the server can serve, 503 while it shuts down. The details of each
 * component (the store's location, engine and model versions, hints) go only to a caller the
 * server trusts — any caller when no API key is set, else one that sends the key; everyone else
 * (a load balancer, a stranger on a public address) gets the status alone: `{"status": "ok"}` or
 * `{"status": "degraded"}`.
 */
import { Router, type Request } from "express";
import type { HealthReport } from "../health.js";

export function healthRouter(
  health: () => Promise<HealthReport>,
  isShuttingDown: () => boolean,
  showDetails: (req: Request) => boolean = () => true,
): Router {
  const router = Router();
  router.get("/healthz", async (req, res) => {
    if (isShuttingDown()) {
      res.status(503).json({ status: "shutting_down", checks: {} });
      return;
    }
    const report = await health();
    res.status(200).json(showDetails(req) ? report : { status: report.status });
  });
  return router;
}
