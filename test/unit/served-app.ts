/**
 * The app (createApp) on a free loopback port with a stub chat service and a real temporary store,
 * for the server and CLI unit tests. Log lines are collected for assertions.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { EventBus } from "../../src/events.js";
import { createApp, type AppDeps } from "../../src/server/app.js";
import { createLogger } from "../../src/service/logger.js";
import type { Store } from "../../src/store/types.js";

export interface ServedApp {
  url: string;
  /** Every log line (JSON) the app wrote. */
  logs: string[];
  close(): Promise<void>;
}

/** Serves createApp with the given deps; a store is required, the rest has quiet defaults. */
export async function serveApp(deps: Partial<AppDeps> & { store: Store }): Promise<ServedApp> {
  const logs: string[] = [];
  const app = createApp({
    chat: { run: async (request) => ({ threadId: request.threadId, reply: "", toolsUsed: [], toolsCreated: [] }) },
    bus: new EventBus(),
    health: async () => ({ status: "ok", checks: {} }),
    logger: createLogger("info", { write: (line: string) => void logs.push(line) }),
    ollamaHost: "http://127.0.0.1:11434",
    ...deps,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
