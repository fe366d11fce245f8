/** The tests' one way to wait for something that happens elsewhere (a container, a notification, a message). */

export interface PollOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Read again after this long (default 100 ms). */
  intervalMs?: number;
}

/** Reads `read` until `done` holds for its value, and returns that value; throws naming `what` and the last value after the timeout. */
export async function until<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 60_000, intervalMs = 100 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms (last read: ${describe(value)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads `read` until it gives something (not undefined, not false), and returns it. */
export async function untilPresent<T>(
  what: string,
  read: () => T | undefined | false | Promise<T | undefined | false>,
  options?: PollOptions,
): Promise<T> {
  return (await until(what, read, (value) => value !== undefined && value !== false, options)) as T;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
