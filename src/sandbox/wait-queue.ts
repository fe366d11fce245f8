/**
 * The line of jobs waiting for a sandbox container, first come first served. Each waiter has a
 * deadline and may carry an AbortSignal; either takes it out of the line. How long the line may
 * grow is the pool's decision (pool.ts); this only keeps the order and the timers.
 */

/** Why a wait ended without an item. */
export class WaitEnded extends Error {
  constructor(readonly reason: "timeout" | "aborted" | "closed") {
    super(`the wait ended: ${reason}`);
    this.name = "WaitEnded";
  }
}

interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (error: unknown) => void;
  /** Clears the waiter's timer and abort listener. */
  release: () => void;
}

export class WaitQueue<T> {
  private readonly waiters: Waiter<T>[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /** Waits until `serve` hands over an item; rejects with WaitEnded at `timeoutMs` or when `signal` aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(new WaitEnded("aborted"));
      const end = (reason: WaitEnded["reason"]) => {
        const at = this.waiters.indexOf(waiter);
        if (at < 0) return;
        this.waiters.splice(at, 1);
        waiter.release();
        reject(new WaitEnded(reason));
      };
      const onAbort = () => end("aborted");
      const timer = setTimeout(() => end("timeout"), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      const waiter: Waiter<T> = {
        resolve,
        reject,
        release: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Hands `item` to the longest waiter; false when nobody waits. */
  serve(item: T): boolean {
    const waiter = this.waiters.shift();
    if (!waiter) return false;
    waiter.release();
    waiter.resolve(item);
    return true;
  }

  /** Ends every wait with `error`. */
  rejectAll(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.release();
      waiter.reject(error);
    }
  }
}
