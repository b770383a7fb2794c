import type { CounterStore } from './counters.ts';
import { pythonJsonDumps, type PythonJsonValue } from '../util/python-json.ts';
import type { Snapshot } from './snapshot.ts';

export const MESSAGE_VERSION = 3;

export interface ListenerStats {
  tx: bigint;
  rx: bigint;
  conns: bigint;
  totconns: bigint;
  ereq: bigint;
}

export interface ListenerReport {
  status: string;
  stats: ListenerStats;
}

export interface PoolReport {
  status: string;
  members: Map<string, string>;
}

/** Version 3 heartbeat: `tx`, `rx`, `totconns`, `ereq` are deltas since the previous one. */
export interface HeartbeatMessage {
  /** The amphora id; null when unset (the reference sends Python's None). */
  id: string | null;
  seq: number;
  listeners: Map<string, ListenerReport>;
  pools: Map<string, PoolReport>;
}

/**
 * Turns a snapshot into the message, converting counters to deltas against the store (which
 * it updates). Listeners whose counters could not be read send zeros and leave the store alone,
 * so the next successful read reports everything since the last one.
 */
export function buildMessage(id: string | null, seq: number, snapshot: Snapshot, counters: CounterStore): HeartbeatMessage {
  const listeners = new Map<string, ListenerReport>();
  for (const sample of snapshot.listeners) {
    let stats: ListenerStats = { tx: 0n, rx: 0n, conns: 0n, totconns: 0n, ereq: 0n };
    if (sample.counters) {
      const deltas = counters.delta(sample.listenerId, sample.counters);
      stats = { tx: deltas.bout, rx: deltas.bin, conns: sample.counters.scur, totconns: deltas.stot, ereq: deltas.ereq };
    }
    listeners.set(sample.listenerId, { status: sample.status, stats });
  }
  const pools = new Map<string, PoolReport>();
  for (const pool of snapshot.pools) pools.set(pool.key, { status: pool.status, members: pool.members });
  return { id, seq, listeners, pools };
}

export interface JsonOptions {
  /**
   * False drops the `pools` key: the receiver then refreshes the amphora, records listener
   * statuses and statistics, and stops before pool, member and load-balancer statuses, which
   * keep their last values. Used only when the full message cannot fit in one datagram.
   */
  includePools: boolean;
}

/** The wire JSON, key order and spacing as the reference writes it. */
export function messageJson(message: HeartbeatMessage, options: JsonOptions = { includePools: true }): string {
  const listeners = new Map<string, PythonJsonValue>();
  for (const [id, report] of message.listeners) {
    const { tx, rx, conns, totconns, ereq } = report.stats;
    listeners.set(id, new Map<string, PythonJsonValue>([
      ['status', report.status],
      ['stats', new Map<string, PythonJsonValue>([['tx', tx], ['rx', rx], ['conns', conns], ['totconns', totconns], ['ereq', ereq]])],
    ]));
  }
  const body = new Map<string, PythonJsonValue>([
    ['id', message.id],
    ['seq', message.seq],
    ['listeners', listeners],
  ]);
  if (options.includePools) {
    const pools = new Map<string, PythonJsonValue>();
    for (const [key, report] of message.pools) {
      pools.set(key, new Map<string, PythonJsonValue>([['status', report.status], ['members', report.members]]));
    }
    body.set('pools', pools);
  }
  body.set('ver', MESSAGE_VERSION);
  return pythonJsonDumps(body);
}

export function memberCount(message: HeartbeatMessage): number {
  let count = 0;
  for (const pool of message.pools.values()) count += pool.members.size;
  return count;
}
