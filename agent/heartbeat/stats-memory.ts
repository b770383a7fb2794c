import type { HaproxyStats } from './haproxy-stats.ts';

interface Remembered {
  stats: HaproxyStats | undefined;
  /** Consecutive passes in which this running haproxy's stats socket did not answer in time. */
  misses: number;
}

/**
 * The last statistics each load balancer's haproxy answered with, and how long it has been
 * silent since. A haproxy that misses one pass is reported with its last statuses and zero
 * deltas, never left out: Octavia sets an enabled listener missing from a heartbeat to ERROR.
 */
export class StatsMemory {
  readonly #byLoadBalancer = new Map<string, Remembered>();

  answered(lbId: string, stats: HaproxyStats): void {
    this.#byLoadBalancer.set(lbId, { stats, misses: 0 });
  }

  /** One more silent pass; returns what was last known and the silent passes in a row. */
  missed(lbId: string): Remembered {
    const entry = this.#byLoadBalancer.get(lbId) ?? { stats: undefined, misses: 0 };
    entry.misses += 1;
    this.#byLoadBalancer.set(lbId, entry);
    return entry;
  }

  /** A stopped or deleted load balancer has nothing to remember. */
  retainOnly(lbIds: ReadonlySet<string>): void {
    for (const lbId of this.#byLoadBalancer.keys()) if (!lbIds.has(lbId)) this.#byLoadBalancer.delete(lbId);
  }
}
