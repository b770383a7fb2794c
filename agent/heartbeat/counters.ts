import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { Logger } from '../util/logger.ts';
import { pythonJsonDumps } from '../util/python-json.ts';
import type { ListenerCounters } from './snapshot.ts';
import { errorMessage } from '../util/errors.ts';

/** The counters sent as deltas, in the order the reference stores them. */
export const DELTA_METRICS = ['bin', 'bout', 'ereq', 'stot'] as const;
export type DeltaMetric = (typeof DELTA_METRICS)[number];
export type Deltas = Record<DeltaMetric, bigint>;

/**
 * Last absolute counter values per listener, persisted in base_path/stats_counters.json in the
 * reference's format so that swapping agents keeps deltas right. Loaded once, then the memory
 * copy is authoritative; every write replaces the file atomically (mode 0640 when new).
 */
export class CounterStore {
  readonly path: string;
  readonly #logger: Logger;
  #counters = new Map<string, Map<string, bigint>>();
  #loaded = false;
  #writing: Promise<void> | undefined;
  #dirtyWhileWriting = false;
  #failing = false;

  constructor(path: string, logger: Logger) {
    this.path = path;
    this.#logger = logger;
  }

  async load(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.info({ path: this.path, err: errorMessage(error) }, 'stats counters unreadable; starting from zero');
      }
      return;
    }
    this.#counters = parseCounters(text);
  }

  /**
   * Stores the new absolute values and returns the deltas. A counter that went down means the
   * source restarted: the whole current value is the delta (never negative: the receiver would
   * drop every statistic of the message).
   */
  delta(listenerId: string, current: ListenerCounters): Deltas {
    let stored = this.#counters.get(listenerId);
    if (!stored) {
      stored = new Map();
      this.#counters.set(listenerId, stored);
    }
    const deltas = {} as Deltas;
    for (const metric of DELTA_METRICS) {
      const value = current[metric] < 0n ? 0n : current[metric];
      const last = stored.get(metric) ?? 0n;
      stored.set(metric, value);
      const delta = value - last;
      deltas[metric] = delta < 0n ? value : delta;
    }
    return deltas;
  }

  /**
   * Forgets listeners that no longer exist, so the file does not grow with every listener ever
   * seen. Only called with a complete list: a listener left out of a partial collection keeps
   * its counters, or its next delta would count its whole history again.
   */
  retainOnly(listenerIds: ReadonlySet<string>): void {
    for (const listenerId of [...this.#counters.keys()]) {
      if (!listenerIds.has(listenerId)) this.#counters.delete(listenerId);
    }
  }

  serialize(): string {
    return pythonJsonDumps(this.#counters);
  }

  /** Writes the current map; concurrent calls coalesce into one more write. Never throws. */
  async persist(): Promise<void> {
    if (this.#writing) {
      this.#dirtyWhileWriting = true;
      return this.#writing;
    }
    this.#writing = (async () => {
      do {
        this.#dirtyWhileWriting = false;
        try {
          await writeFileAtomic(this.path, this.serialize(), { mode: 0o640 });
          if (this.#failing) this.#logger.info({ path: this.path }, 'stats counters written again');
          this.#failing = false;
        } catch (error) {
          if (!this.#failing) {
            this.#logger.warn({ path: this.path, err: errorMessage(error) }, 'cannot write stats counters; keeping them in memory');
          }
          this.#failing = true;
        }
      } while (this.#dirtyWhileWriting);
    })().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }
}

/** Reads the reference's file: invalid or empty content starts from zero, as upstream does. */
export function parseCounters(text: string): Map<string, Map<string, bigint>> {
  const result = new Map<string, Map<string, bigint>>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, integerReviver as (key: string, value: unknown) => unknown);
  } catch {
    return result;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return result;
  for (const [listenerId, metrics] of Object.entries(parsed as Record<string, unknown>)) {
    if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) continue;
    const stored = new Map<string, bigint>();
    for (const [name, value] of Object.entries(metrics as Record<string, unknown>)) {
      if (typeof value === 'bigint') stored.set(name, value);
    }
    result.set(listenerId, stored);
  }
  return result;
}

/** Keeps 64-bit counters exact: numbers become BigInt from their source text. */
function integerReviver(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number') return value;
  const source = context?.source ?? '';
  if (/^-?\d+$/u.test(source)) return BigInt(source);
  return Number.isFinite(value) ? BigInt(Math.trunc(value)) : value;
}
