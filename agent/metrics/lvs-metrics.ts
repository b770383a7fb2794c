import { readFile } from 'node:fs/promises';
import type { AgentPaths } from '../config/paths.ts';
import { listLvsListeners, lvsConfigPath, lvsPidPath } from '../lvs/layout.ts';
import { systemLvsCommands, type LvsCommands } from '../heartbeat/lvs-collector.ts';
import { parseIpvsadm, parseLvsConfig, type IpvsadmEntry, type LvsListenerConfig } from '../heartbeat/lvs-parse.ts';
import { isPidFileAlive } from '../util/process-state.ts';
import type { MetricFamily, MetricType } from './exposition.ts';

/**
 * UDP and SCTP listeners (keepalived + IPVS) under the names the haproxy listeners get, so a
 * dashboard sums both kinds: `listener` is the listener id, `pool` is `<pool_id>:<listener_id>`
 * (the form haproxy's backend names give), `member` the member id. Octavia's proxy reports none
 * of these. Counters come from `ipvsadm -Ln --stats --exact`, current sessions and weights from
 * `ipvsadm -Ln`, both read in the load balancer's namespace.
 *
 * Member status uses haproxy's values: 0 down (enabled, not in the kernel table), 1 up,
 * 2 maintenance (administratively disabled), 3 drain (weight 0).
 */

interface FamilySpec {
  name: string;
  help: string;
  type: MetricType;
}

const F = {
  listenerStatus: { name: 'octavia_listener_status', help: 'Current status of the listener. 0=OFFLINE, 1=ONLINE, 2=DEGRADED.', type: 'gauge' },
  listenerCurrent: { name: 'octavia_listener_current_sessions', help: 'Current number of active sessions.', type: 'gauge' },
  listenerSessions: { name: 'octavia_listener_sessions_total', help: 'Total number of sessions.', type: 'counter' },
  listenerBytesIn: { name: 'octavia_listener_bytes_in_total', help: 'Current total of incoming bytes.', type: 'counter' },
  listenerBytesOut: { name: 'octavia_listener_bytes_out_total', help: 'Current total of outgoing bytes.', type: 'counter' },
  listenerPacketsIn: { name: 'octavia_listener_packets_in_total', help: 'Total of incoming packets (UDP and SCTP listeners).', type: 'counter' },
  listenerPacketsOut: { name: 'octavia_listener_packets_out_total', help: 'Total of outgoing packets (UDP and SCTP listeners).', type: 'counter' },
  poolStatus: { name: 'octavia_pool_status', help: 'Current status of the pool. 0=OFFLINE, 1=ONLINE.', type: 'gauge' },
  poolActive: { name: 'octavia_pool_active_members', help: 'Current number of active members.', type: 'gauge' },
  poolCurrent: { name: 'octavia_pool_current_sessions', help: 'Current number of active sessions.', type: 'gauge' },
  poolSessions: { name: 'octavia_pool_sessions_total', help: 'Total number of sessions.', type: 'counter' },
  poolBytesIn: { name: 'octavia_pool_bytes_in_total', help: 'Current total of incoming bytes.', type: 'counter' },
  poolBytesOut: { name: 'octavia_pool_bytes_out_total', help: 'Current total of outgoing bytes.', type: 'counter' },
  memberStatus: { name: 'octavia_member_status', help: 'Current status of the member. 0=ERROR, 1=ONLINE, 2=OFFLINE, 3=DRAIN.', type: 'gauge' },
  memberWeight: { name: 'octavia_member_weight', help: 'Member weight.', type: 'gauge' },
  memberCurrent: { name: 'octavia_member_current_sessions', help: 'Current number of active sessions.', type: 'gauge' },
  memberInactive: { name: 'octavia_member_inactive_sessions', help: 'Current number of inactive sessions (UDP and SCTP members).', type: 'gauge' },
  memberSessions: { name: 'octavia_member_sessions_total', help: 'Total number of sessions.', type: 'counter' },
  memberBytesIn: { name: 'octavia_member_bytes_in_total', help: 'Current total of incoming bytes.', type: 'counter' },
  memberBytesOut: { name: 'octavia_member_bytes_out_total', help: 'Current total of outgoing bytes.', type: 'counter' },
  memberPacketsIn: { name: 'octavia_member_packets_in_total', help: 'Total of incoming packets (UDP and SCTP members).', type: 'counter' },
  memberPacketsOut: { name: 'octavia_member_packets_out_total', help: 'Total of outgoing packets (UDP and SCTP members).', type: 'counter' },
} satisfies Record<string, FamilySpec>;

/** The families this module can produce, for documentation and tests. */
export const LVS_METRIC_FAMILIES: readonly FamilySpec[] = Object.values(F);

export interface LvsMetricsOptions {
  paths: AgentPaths;
  /** Namespace for ipvsadm (the agent's network_namespace). */
  namespace: string;
  commands?: LvsCommands;
  timeoutMs?: number;
}

const count = (text: string | undefined): bigint => (text !== undefined && /^\d+$/u.test(text) ? BigInt(text) : 0n);

class FamilySet {
  readonly #families = new Map<string, MetricFamily>();

  add(spec: FamilySpec, labels: Record<string, string>, value: number | bigint): void {
    let family = this.#families.get(spec.name);
    if (!family) {
      family = { ...spec, samples: [] };
      this.#families.set(spec.name, family);
    }
    family.samples.push({ labels, value });
  }

  list(): MetricFamily[] {
    return [...this.#families.values()];
  }
}

/** Metric families of every UDP/SCTP listener whose keepalived runs. */
export async function collectLvsMetrics(options: LvsMetricsOptions): Promise<MetricFamily[]> {
  const commands = options.commands ?? systemLvsCommands;
  const timeoutMs = options.timeoutMs ?? 2000;
  const listeners: { id: string; config: LvsListenerConfig }[] = [];
  for (const id of await listLvsListeners(options.paths)) {
    if (!(await isPidFileAlive(lvsPidPath(options.paths, id)))) continue;
    const text = await readFile(lvsConfigPath(options.paths, id), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const config = parseLvsConfig(text);
    if (!config.disabled) listeners.push({ id, config });
  }
  if (listeners.length === 0) return [];

  let active = new Map<string, IpvsadmEntry>();
  let totals = new Map<string, IpvsadmEntry>();
  if (listeners.some(({ config }) => config.vips.length > 0)) {
    // A failing ipvsadm still reports the listeners (running), without counters.
    [active, totals] = await Promise.all([
      commands.ipvsadm(['-Ln'], options.namespace, timeoutMs).then(parseIpvsadm, () => new Map<string, IpvsadmEntry>()),
      commands.ipvsadm(['-Ln', '--stats', '--exact'], options.namespace, timeoutMs).then(parseIpvsadm, () => new Map<string, IpvsadmEntry>()),
    ]);
  }
  const set = new FamilySet();
  for (const { id, config } of listeners) addListener(set, id, config, active, totals);
  return set.list();
}

function realServerBy(entries: (IpvsadmEntry | undefined)[]): Map<string, Map<string, string>> {
  const byAddress = new Map<string, Map<string, string>>();
  for (const entry of entries) {
    for (const realServer of entry?.realServers ?? []) {
      const address = realServer.get('RemoteAddress:Port');
      if (address !== undefined) byAddress.set(address, realServer);
    }
  }
  return byAddress;
}

function addListener(
  set: FamilySet,
  listenerId: string,
  config: LvsListenerConfig,
  active: Map<string, IpvsadmEntry>,
  totals: Map<string, IpvsadmEntry>,
): void {
  const listener = { listener: listenerId };
  const services = config.vips.map((vip) => ({ active: active.get(vip), totals: totals.get(vip) }));
  const activeServers = realServerBy(services.map((service) => service.active));
  const serverTotals = realServerBy(services.map((service) => service.totals));
  const sum = (column: string) => services.reduce((total, service) => total + count(service.totals?.service.get(column)), 0n);
  let listenerCurrent = 0n;
  for (const server of activeServers.values()) listenerCurrent += count(server.get('ActiveConn'));

  set.add(F.listenerStatus, listener, 1);
  set.add(F.listenerCurrent, listener, listenerCurrent);
  set.add(F.listenerSessions, listener, sum('Conns'));
  set.add(F.listenerBytesIn, listener, sum('InBytes'));
  set.add(F.listenerBytesOut, listener, sum('OutBytes'));
  set.add(F.listenerPacketsIn, listener, sum('InPkts'));
  set.add(F.listenerPacketsOut, listener, sum('OutPkts'));
  if (config.poolId === undefined) return;

  const pool = { pool: `${config.poolId}:${listenerId}` };
  const poolTotals = { current: 0n, sessions: 0n, bytesIn: 0n, bytesOut: 0n, activeMembers: 0 };
  for (const member of config.members) {
    const labels = { ...pool, member: member.id };
    const live = member.ipPort === undefined ? undefined : activeServers.get(member.ipPort);
    const stats = member.ipPort === undefined ? undefined : serverTotals.get(member.ipPort);
    const weight = live === undefined ? 0n : count(live.get('Weight'));
    const status = member.ipPort === undefined ? 2 : live === undefined ? 0 : weight === 0n ? 3 : 1;
    if (status === 1) poolTotals.activeMembers += 1;
    const current = count(live?.get('ActiveConn'));
    const sessions = count(stats?.get('Conns'));
    const bytesIn = count(stats?.get('InBytes'));
    const bytesOut = count(stats?.get('OutBytes'));
    poolTotals.current += current;
    poolTotals.sessions += sessions;
    poolTotals.bytesIn += bytesIn;
    poolTotals.bytesOut += bytesOut;
    set.add(F.memberStatus, labels, status);
    set.add(F.memberWeight, labels, weight);
    set.add(F.memberCurrent, labels, current);
    set.add(F.memberInactive, labels, count(live?.get('InActConn')));
    set.add(F.memberSessions, labels, sessions);
    set.add(F.memberBytesIn, labels, bytesIn);
    set.add(F.memberBytesOut, labels, bytesOut);
    set.add(F.memberPacketsIn, labels, count(stats?.get('InPkts')));
    set.add(F.memberPacketsOut, labels, count(stats?.get('OutPkts')));
  }
  set.add(F.poolStatus, pool, poolTotals.activeMembers > 0 || config.members.length === 0 ? 1 : 0);
  set.add(F.poolActive, pool, poolTotals.activeMembers);
  set.add(F.poolCurrent, pool, poolTotals.current);
  set.add(F.poolSessions, pool, poolTotals.sessions);
  set.add(F.poolBytesIn, pool, poolTotals.bytesIn);
  set.add(F.poolBytesOut, pool, poolTotals.bytesOut);
}

/** The section the proxy appends (merged into haproxy's families of the same names). */
export function lvsMetricsSection(options: LvsMetricsOptions): () => Promise<MetricFamily[]> {
  return () => collectLvsMetrics(options);
}
