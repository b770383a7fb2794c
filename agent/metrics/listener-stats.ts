import { readFile } from 'node:fs/promises';
import type { AgentPaths } from '../config/paths.ts';
import { frameworkError } from '../domain/refusal.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import { isHaproxyRunning, loadBalancerExists } from '../haproxy/layout.ts';
import { queryHaproxyStats } from '../heartbeat/haproxy-stats.ts';
import { collectLvs, systemLvsCommands, type LvsCommands } from '../heartbeat/lvs-collector.ts';
import type { ListenerCounters } from '../heartbeat/snapshot.ts';
import { lvsConfigPath } from '../lvs/layout.ts';
import { isSafeId } from '../util/identifiers.ts';

/** The five figures `openstack loadbalancer stats show` / `listener stats show` print. */
export interface ListenerStats {
  active_connections: number;
  bytes_in: number;
  bytes_out: number;
  request_errors: number;
  total_connections: number;
}

export interface StatsOptions {
  paths: AgentPaths;
  namespace: string;
  lvsCommands?: LvsCommands;
  timeoutMs?: number;
}

function fromCounters(counters: ListenerCounters | undefined): ListenerStats {
  return {
    active_connections: Number(counters?.scur ?? 0n),
    bytes_in: Number(counters?.bin ?? 0n),
    bytes_out: Number(counters?.bout ?? 0n),
    request_errors: Number(counters?.ereq ?? 0n),
    total_connections: Number(counters?.stot ?? 0n),
  };
}

/**
 * Statistics of one load balancer's listeners, read from the sources the heartbeat reads
 * (haproxy's `show stat` frontends, ipvsadm for UDP/SCTP listeners of this load balancer), with
 * the heartbeat's field mapping (scur, bin, bout, ereq, stot). The figures count since haproxy
 * or keepalived started; Octavia's database adds up the heartbeat deltas instead, so the two
 * agree until a daemon restart resets haproxy's counters. `GET /1.0/loadbalancer/{lb}/stats`.
 */
export async function loadBalancerStats(lbId: string, options: StatsOptions): Promise<Reply> {
  if (!isSafeId(lbId)) throw frameworkError(404);
  const timeoutMs = options.timeoutMs ?? 2000;
  const listeners: Record<string, ListenerStats> = {};
  const haproxy = await loadBalancerExists(options.paths, lbId);
  if (haproxy && (await isHaproxyRunning(options.paths, lbId))) {
    const stats = await queryHaproxyStats(options.paths.statsSocket(lbId), timeoutMs);
    for (const sample of stats.listeners) listeners[sample.listenerId] = fromCounters(sample.counters);
  }
  const lvs = await collectLvs({ paths: options.paths, namespace: options.namespace, timeoutMs, commands: options.lvsCommands ?? systemLvsCommands });
  let lvsOfThisLb = 0;
  for (const sample of lvs.listeners) {
    const text = await readFile(lvsConfigPath(options.paths, sample.listenerId), 'utf8').catch(() => '');
    if (!text.includes(`# Configuration for Loadbalancer ${lbId}\n`)) continue;
    listeners[sample.listenerId] = fromCounters(sample.counters);
    lvsOfThisLb += 1;
  }
  if (!haproxy && lvsOfThisLb === 0) throw frameworkError(404);
  const total: ListenerStats = { active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 };
  for (const stats of Object.values(listeners)) {
    for (const key of Object.keys(total) as (keyof ListenerStats)[]) total[key] += stats[key];
  }
  return jsonReply(200, { loadbalancer: total, listeners });
}
