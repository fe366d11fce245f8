/**
 * Per-key serialisation inside one process: work for the same key runs one after another, work
 * for different keys runs concurrently. The forge uses it so that two forges of the same tool
 * name never race (the second sees the first one's install and reuses it); across processes the
 * store's install transaction is the guard.
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
