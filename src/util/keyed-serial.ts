/**
 * Per-key serialisation inside one process: work for the same key runs one after another, work
 * for different keys runs concurrently, and work for one key starts in the order `run` was called.
 * A failure does not stop the work queued after it. Used for forges of one tool name (across
 * processes the store's install transaction is the guard), turns of one chat thread, and messages
 * to one object.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or waiting (for tests and diagnostics). */
  get busyKeys(): string[] {
    return [...this.tails.keys()];
  }
}
