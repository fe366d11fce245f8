/**
 * SIGTERM and SIGINT for a long-running command: the first one starts a graceful stop, a second
 * one exits at once (130) without waiting for it.
 */
import type { Logger } from "pino";

/** Calls `stop` on the first signal; returns the function that removes the handlers. */
export function onTermination(stop: (signal: NodeJS.Signals) => void, logger: Logger): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(130);
    }
    received = true;
    stop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}
