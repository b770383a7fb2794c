/**
 * What one collection pass saw, before counters become deltas. Collectors only produce these
 * values; the message builder alone touches the persisted counters, so a collector that
 * finishes after its deadline cannot change what was already sent.
 */

/** Absolute counters of one listener, as its source reports them (64-bit: BigInt). */
export interface ListenerCounters {
  bin: bigint;
  bout: bigint;
  ereq: bigint;
  stot: bigint;
  /** Current sessions: never a delta. */
  scur: bigint;
}

export interface ListenerSample {
  listenerId: string;
  status: string;
  /** Undefined when the source could not be read this time: zeros are sent, stored counters stay. */
  counters: ListenerCounters | undefined;
}

export interface PoolSample {
  /** `pool_id:listener_id` for haproxy backends, the bare pool id for LVS pools. */
  key: string;
  status: string;
  members: Map<string, string>;
}

/** A source that could not be read (or not in time); logged, and reflected in the statuses sent. */
export interface CollectionProblem {
  source: string;
  message: string;
}

/** A running haproxy whose stats socket missed this pass, and how many passes in a row. */
export interface SilentLoadBalancer {
  lbId: string;
  misses: number;
}

export interface Snapshot {
  listeners: ListenerSample[];
  pools: PoolSample[];
  problems: CollectionProblem[];
  silent: SilentLoadBalancer[];
}

export function emptySnapshot(): Snapshot {
  return { listeners: [], pools: [], problems: [], silent: [] };
}

