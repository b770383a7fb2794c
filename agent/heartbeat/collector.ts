import type { AgentPaths } from '../config/paths.ts';
import { isHaproxyRunning, listLoadBalancers } from '../haproxy/layout.ts';
import { queryHaproxyStats, type HaproxyStats } from './haproxy-stats.ts';
import { collectLvs, type LvsCollection, type LvsCommands } from './lvs-collector.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';
import { AgentError } from '../util/errors.ts';

export interface CollectOptions {
  paths: AgentPaths;
  /** Namespace haproxy and keepalived run in (ipvsadm is run there). */
  namespace: string;
  /** Time budget for the whole pass; every source still unanswered then is reported as a problem. */
  budgetMs: number;
  lvsCommands: LvsCommands;
}

class DeadlineExceeded extends AgentError {}

/**
 * Reads every source in parallel, each bounded by the same deadline. A load balancer whose
 * stats cannot be read (socket missing, stuck, garbage) contributes nothing, as in the
 * reference: the receiver then marks its listeners ERROR, and fails the amphora over if that
 * lasts. Everything else is still reported, on time.
 */
export async function collectSnapshot(options: CollectOptions): Promise<Snapshot> {
  const snapshot = emptySnapshot();
  const deadline = Date.now() + options.budgetMs;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${options.budgetMs} ms`)), options.budgetMs);
  });
  expired.catch(() => undefined);
  const bounded = <T>(work: Promise<T>) => Promise.race([work, expired]);
  try {
    const lbIds = await bounded(listLoadBalancers(options.paths)).catch(() => [] as string[]);
    const remaining = () => Math.max(1, deadline - Date.now());
    const [haproxyResults, lvsResult] = await Promise.all([
      Promise.allSettled(lbIds.map((lbId) => bounded(queryLoadBalancer(options.paths, lbId, remaining())))),
      Promise.allSettled([
        bounded(
          collectLvs({
            paths: options.paths,
            namespace: options.namespace,
            timeoutMs: remaining(),
            commands: options.lvsCommands,
          }),
        ),
      ]),
    ]);
    haproxyResults.forEach((outcome, index) => {
      const source = `haproxy ${lbIds[index]}`;
      if (outcome.status === 'rejected') {
        snapshot.problems.push({ source, message: errorText(outcome.reason) });
      } else if (outcome.value) {
        snapshot.listeners.push(...outcome.value.listeners);
        snapshot.pools.push(...outcome.value.pools);
      }
    });
    const lvs = lvsResult[0]!;
    if (lvs.status === 'rejected') {
      snapshot.problems.push({ source: 'lvs', message: errorText(lvs.reason) });
    } else {
      mergeLvs(snapshot, lvs.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return snapshot;
}

/** Undefined when haproxy is not running: such a load balancer reports nothing. */
async function queryLoadBalancer(paths: AgentPaths, lbId: string, timeoutMs: number): Promise<HaproxyStats | undefined> {
  if (!(await isHaproxyRunning(paths, lbId))) return undefined;
  return queryHaproxyStats(paths.statsSocket(lbId), timeoutMs);
}

function mergeLvs(snapshot: Snapshot, lvs: LvsCollection): void {
  snapshot.listeners.push(...lvs.listeners);
  snapshot.pools.push(...lvs.pools);
  snapshot.problems.push(...lvs.problems);
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
