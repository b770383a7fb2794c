/**
 * Serializes async work per key. The reference ran one request at a time; Node runs many, so
 * every change to one load balancer (or to a shared resource such as the agent config) goes
 * through here.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** True while some work for `key` is running or queued. */
  isBusy(key: string): boolean {
    return this.#tails.has(key);
  }
}
