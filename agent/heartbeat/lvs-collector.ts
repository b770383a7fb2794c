import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { listLvsListeners, lvsConfigPath, lvsPidPath } from '../lvs/layout.ts';
import { isPidFileAlive } from '../util/process-state.ts';
import { runCommand } from '../util/run-command.ts';
import { parseIpvsadm, parseLvsConfig, parseProcIpVs, type IpvsadmEntry, type LvsListenerConfig } from './lvs-parse.ts';
import type { CollectionProblem, ListenerCounters, ListenerSample, PoolSample } from './snapshot.ts';
import { errorMessage } from '../util/errors.ts';

/** The two kernel views the LVS part reads; tests substitute recorded output (no IPVS here). */
export interface LvsCommands {
  /** `ipvsadm <args>` in the load-balancer namespace; rejects on failure. */
  ipvsadm(args: readonly string[], namespace: string, timeoutMs: number): Promise<string>;
  /** Content of /proc/net/ip_vs as seen from `namespace`; rejects on failure. */
  readIpVs(namespace: string, timeoutMs: number): Promise<string>;
}

export const systemLvsCommands: LvsCommands = {
  async ipvsadm(args, namespace, timeoutMs) {
    const result = await runCommand('ipvsadm', args, { namespace, timeoutMs });
    if (result.exitCode !== 0) throw new Error(`ipvsadm ${args.join(' ')} failed (${result.exitCode}): ${result.output.trim()}`);
    return result.output;
  },
  async readIpVs(namespace, timeoutMs) {
    if (!namespace) return readFile('/proc/net/ip_vs', 'utf8');
    const result = await runCommand('cat', ['/proc/net/ip_vs'], { namespace, timeoutMs });
    if (result.exitCode !== 0) throw new Error(`reading /proc/net/ip_vs in ${namespace} failed: ${result.output.trim()}`);
    return result.output;
  },
};

export interface LvsCollection {
  listeners: ListenerSample[];
  pools: PoolSample[];
  problems: CollectionProblem[];
}

export interface LvsCollectOptions {
  paths: AgentPaths;
  /** Namespace for ipvsadm, and for /proc/net/ip_vs when a config names none. */
  namespace: string;
  timeoutMs: number;
  commands: LvsCommands;
}

const zeroCounters = (): ListenerCounters => ({ bin: 0n, bout: 0n, ereq: 0n, stot: 0n, scur: 0n });

/**
 * UDP/SCTP listeners whose keepalived runs: always reported OPEN (the receiver counts them),
 * with ipvsadm statistics and kernel-table member statuses. Unlike the reference, a failing
 * command never costs the whole heartbeat: the listeners are still reported, without
 * statistics, and members whose state cannot be read are sent as RESTARTING (the receiver
 * keeps their previous status).
 */
export async function collectLvs(options: LvsCollectOptions): Promise<LvsCollection> {
  const { paths } = options;
  const result: LvsCollection = { listeners: [], pools: [], problems: [] };
  const ids = await listLvsListeners(paths);
  if (ids.length === 0) return result;

  const running: { id: string; config: LvsListenerConfig }[] = [];
  await Promise.all(
    ids.map(async (id, order) => {
      if (!(await isPidFileAlive(lvsPidPath(paths, id)))) return;
      let text: string;
      try {
        text = await readFile(lvsConfigPath(paths, id), 'utf8');
      } catch (error) {
        result.problems.push({ source: `lvs ${id}`, message: errorMessage(error) });
        return;
      }
      const config = parseLvsConfig(text);
      if (!config.disabled) running[order] = { id, config };
    }),
  );
  const listeners = running.filter((entry) => entry !== undefined);
  if (listeners.length === 0) return result;

  // Every command is bounded by the pass's deadline: one that misses it costs its statistics,
  // never the listeners, which come from the configuration files above.
  const deadline = Date.now() + options.timeoutMs;
  const timeLeft = () => Math.max(1, deadline - Date.now());

  const kernelTables = new Map<string, Promise<string>>();
  const readKernelTable = (namespace: string) => {
    let table = kernelTables.get(namespace);
    if (!table) {
      table = beforeDeadline(options.commands.readIpVs(namespace, timeLeft()), deadline, `reading /proc/net/ip_vs in ${namespace || 'the root namespace'}`);
      table.catch(() => undefined);
      kernelTables.set(namespace, table);
    }
    return table;
  };

  // One ipvsadm call per beat: totals from `--stats --exact`, current connections from the
  // kernel table that member statuses read anyway.
  let statistics: Map<string, IpvsadmEntry> | undefined;
  let kernelTable: string | undefined;
  if (listeners.some(({ config }) => config.vips.length > 0)) {
    const [stats, table] = await Promise.allSettled([
      beforeDeadline(options.commands.ipvsadm(['-Ln', '--stats', '--exact'], options.namespace, timeLeft()), deadline, 'ipvsadm').then(parseIpvsadm),
      readKernelTable(options.namespace),
    ]);
    if (stats.status === 'fulfilled') statistics = stats.value;
    else result.problems.push({ source: 'ipvsadm', message: errorMessage(stats.reason) });
    if (table.status === 'fulfilled') kernelTable = table.value;
  }

  const pools = await Promise.all(
    listeners.map(async ({ id, config }) => {
      const statsReadable = config.vips.length === 0 || statistics !== undefined;
      result.listeners.push({
        listenerId: id,
        status: 'OPEN',
        counters: statsReadable ? listenerCounters(config, statistics, kernelTable) : undefined,
      });
      return poolSample(id, config, options, readKernelTable, result.problems);
    }),
  );
  for (const pool of pools) if (pool) result.pools.push(pool);
  return result;
}

function listenerCounters(
  config: LvsListenerConfig,
  statistics: Map<string, IpvsadmEntry> | undefined,
  kernelTable: string | undefined,
): ListenerCounters {
  const counters = zeroCounters();
  if (!statistics || !config.vips.some((vip) => statistics.has(vip))) return counters;
  const number = (text: string | undefined) => (text !== undefined && /^\d+$/u.test(text) ? BigInt(text) : 0n);
  for (const vip of config.vips) {
    const totals = statistics.get(vip);
    if (!totals) continue;
    counters.stot += number(totals.service.get('Conns'));
    counters.bin += number(totals.service.get('InBytes'));
    counters.bout += number(totals.service.get('OutBytes'));
  }
  // Current connections: the real servers under this listener's virtual services.
  if (kernelTable !== undefined) {
    for (const realServer of parseProcIpVs(kernelTable, config.vips).values()) counters.scur += number(realServer.get('ActiveConn'));
  }
  return counters;
}

/** `work`, or a rejection naming `what` once `deadline` (epoch ms) passes. */
function beforeDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer before the heartbeat's deadline`)), Math.max(1, deadline - Date.now()));
  });
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

async function poolSample(
  listenerId: string,
  config: LvsListenerConfig,
  options: LvsCollectOptions,
  readKernelTable: (namespace: string) => Promise<string>,
  problems: CollectionProblem[],
): Promise<PoolSample | undefined> {
  if (config.poolId === undefined) return undefined;
  const members = new Map<string, string>();
  if (config.members.length === 0) return { key: config.poolId, status: 'UP', members };

  const restarting = await isRestarting(options.paths, listenerId);
  let kernel: Map<string, Map<string, string>>;
  try {
    kernel = parseProcIpVs(await readKernelTable(config.namespace ?? options.namespace), config.vips);
  } catch (error) {
    problems.push({ source: `lvs ${listenerId}`, message: errorMessage(error) });
    for (const member of config.members) members.set(member.id, member.ipPort === undefined ? 'MAINT' : 'RESTARTING');
    return { key: config.poolId, status: 'UNKNOWN', members };
  }

  const checked = config.healthMonitor;
  if (kernel.size > 0) {
    for (const member of config.members) {
      const entry = member.ipPort === undefined ? undefined : kernel.get(member.ipPort);
      let status: string;
      if (member.ipPort === undefined) status = 'MAINT';
      else if (!entry) status = restarting ? 'RESTARTING' : 'DOWN';
      else if (Number(entry.get('Weight')) === 0) status = 'DRAIN';
      else status = checked ? 'UP' : 'no check';
      members.set(member.id, status);
    }
    return { key: config.poolId, status: 'UP', members };
  }
  for (const member of config.members) {
    if (member.ipPort === undefined) members.set(member.id, 'MAINT');
    else if (checked) members.set(member.id, restarting ? 'RESTARTING' : 'DOWN');
    else members.set(member.id, 'no check');
  }
  return { key: config.poolId, status: checked ? 'DOWN' : 'UP', members };
}

/**
 * keepalived was given a new config and restarted after its checker last started: members
 * missing from the kernel table may simply not have been checked yet. A checker that has not
 * written its pid file yet counts as restarting too.
 */
async function isRestarting(paths: AgentPaths, listenerId: string): Promise<boolean> {
  const [config, checker] = await Promise.all([
    stat(lvsConfigPath(paths, listenerId)).catch(() => undefined),
    stat(join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.check.pid`)).catch(() => undefined),
  ]);
  if (!config) return false;
  if (!checker) return true;
  return config.mtimeMs > checker.mtimeMs;
}
