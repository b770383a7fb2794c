import { readFile } from 'node:fs/promises';
import type { AgentPaths } from '../config/paths.ts';
import { parseHaproxyConfig } from '../haproxy/config-text.ts';
import { isHaproxyRunning, listLoadBalancers } from '../haproxy/layout.ts';
import { isInternalProxy, queryHaproxyStats, type HaproxyStats } from './haproxy-stats.ts';
import { collectLvs, type LvsCollection, type LvsCommands } from './lvs-collector.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';
import type { StatsMemory } from './stats-memory.ts';
import { AgentError, errorMessage } from '../util/errors.ts';

export interface CollectOptions {
  paths: AgentPaths;
  /** Namespace haproxy and keepalived run in (ipvsadm is run there). */
  namespace: string;
  /** Time budget for the statistics; what has not answered by then is reported from memory. */
  budgetMs: number;
  lvsCommands: LvsCommands;
  /** Last answers of each haproxy, kept across passes by the caller. */
  memory: StatsMemory;
}

class DeadlineExceeded extends AgentError {}

/**
 * Reads every source in parallel, each bounded by the same deadline. Listeners come from the
 * configuration files and are always reported: a running haproxy whose stats socket is late,
 * stuck or answers garbage is reported with its last known statuses and zero deltas (or, never
 * heard from, its configured listeners as OPEN), and named in `silent` so the caller can act on
 * one that stays silent. A stopped haproxy reports nothing, as in the reference.
 */
export async function collectSnapshot(options: CollectOptions): Promise<Snapshot> {
  const snapshot = emptySnapshot();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${options.budgetMs} ms`)), options.budgetMs);
  });
  expired.catch(() => undefined);
  const bounded = <T>(work: Promise<T>) => Promise.race([work, expired]);
  const deadline = Date.now() + options.budgetMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  try {
    const lbIds = await listLoadBalancers(options.paths);
    const [haproxyParts, lvs] = await Promise.all([
      Promise.all(lbIds.map((lbId) => loadBalancerPart(options, lbId, bounded, remaining()))),
      collectLvs({ paths: options.paths, namespace: options.namespace, timeoutMs: remaining(), commands: options.lvsCommands }).catch(
        (error: unknown): LvsCollection => ({ listeners: [], pools: [], problems: [{ source: 'lvs', message: errorMessage(error) }] }),
      ),
    ]);
    const running = new Set<string>();
    for (const part of haproxyParts) {
      if (!part) continue;
      running.add(part.lbId);
      snapshot.listeners.push(...part.stats.listeners);
      snapshot.pools.push(...part.stats.pools);
      if (part.problem) {
        snapshot.problems.push({ source: `haproxy ${part.lbId}`, message: part.problem });
        snapshot.silent.push({ lbId: part.lbId, misses: part.misses });
      }
    }
    options.memory.retainOnly(running);
    snapshot.listeners.push(...lvs.listeners);
    snapshot.pools.push(...lvs.pools);
    snapshot.problems.push(...lvs.problems);
  } finally {
    clearTimeout(timer);
  }
  return snapshot;
}

interface LoadBalancerPart {
  lbId: string;
  stats: HaproxyStats;
  /** Why the stats are remembered ones, not fresh. */
  problem?: string;
  misses: number;
}

/** Undefined when haproxy is not running: such a load balancer reports nothing. */
async function loadBalancerPart(
  options: CollectOptions,
  lbId: string,
  bounded: <T>(work: Promise<T>) => Promise<T>,
  timeoutMs: number,
): Promise<LoadBalancerPart | undefined> {
  const { paths, memory } = options;
  if (!(await isHaproxyRunning(paths, lbId))) return undefined;
  try {
    const stats = await bounded(queryHaproxyStats(paths.statsSocket(lbId), timeoutMs));
    memory.answered(lbId, stats);
    return { lbId, stats, misses: 0 };
  } catch (error) {
    const remembered = memory.missed(lbId);
    const stats = remembered.stats ? withoutCounters(remembered.stats) : await configuredListeners(paths, lbId);
    return { lbId, stats, problem: errorMessage(error), misses: remembered.misses };
  }
}

/** The last statuses, counters dropped: zeros are sent and the stored totals stay for the next answer. */
function withoutCounters(stats: HaproxyStats): HaproxyStats {
  return { listeners: stats.listeners.map((listener) => ({ ...listener, counters: undefined })), pools: stats.pools };
}

/** A haproxy never heard from: its configured frontends, OPEN (it runs), no pools. */
async function configuredListeners(paths: AgentPaths, lbId: string): Promise<HaproxyStats> {
  try {
    const { frontends } = parseHaproxyConfig(await readFile(paths.haproxyConfig(lbId), 'latin1'));
    const listeners = [...frontends.keys()]
      .filter((name) => !isInternalProxy(name))
      .map((listenerId) => ({ listenerId, status: 'OPEN', counters: undefined }));
    return { listeners, pools: [] };
  } catch {
    return { listeners: [], pools: [] };
  }
}

