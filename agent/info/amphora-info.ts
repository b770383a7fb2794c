import { hostname } from 'node:os';
import type { AgentContext } from '../context.ts';
import { isHaproxyRunning, listLoadBalancers } from '../haproxy/layout.ts';
import { listLvsListeners, lvsPidPath } from '../lvs/layout.ts';
import { isPidFileAlive } from '../util/process-state.ts';
import { certificateExpiryDetails } from '../certs/trust.ts';
import { NetworkStatsSampler } from './network-stats.ts';
import { PackageQueryError, type PackageVersions } from './package-versions.ts';
import {
  cpuCount,
  readCpuStats,
  readDiskUsage,
  readLoadAverage,
  readMemoryStats,
  readTunedProfiles,
} from './system-stats.ts';

export const API_VERSION = '1.0';

/** Frontend names of one load balancer's haproxy.cfg (the listener ids). */
export type ListenerIdReader = (lbId: string) => Promise<string[]>;

export interface AmphoraInfoSource {
  info(): Promise<Record<string, unknown>>;
  details(): Promise<Record<string, unknown>>;
}

/** `/1.0/info` and `/1.0/details`, with the reference's keys, order and value types. */
export function createAmphoraInfo(
  context: AgentContext,
  versions: Pick<PackageVersions, 'version'>,
  listenerIdsOf: ListenerIdReader,
): AmphoraInfoSource {
  // /info is the control plane's boot probe: a missing keepalived or ipvsadm (only UDP/SCTP
  // and ACTIVE_STANDBY need them) reads as an empty version instead of the reference's 500.
  const optionalVersion = (name: 'keepalived' | 'ipvsadm') =>
    versions.version(name).catch((error: unknown) => {
      if (error instanceof PackageQueryError) return '';
      throw error;
    });
  const lvsVersions = () => Promise.all([optionalVersion('keepalived'), optionalVersion('ipvsadm')]);
  const networkStats = new NetworkStatsSampler();

  return {
    async info() {
      const [[keepalived, ipvsadm], haproxy] = await Promise.all([lvsVersions(), versions.version('haproxy')]);
      return {
        hostname: hostname(),
        haproxy_version: haproxy,
        api_version: API_VERSION,
        keepalived_version: keepalived,
        ipvsadm_version: ipvsadm,
      };
    },

    async details() {
      const paths = context.paths;
      const [[keepalived, ipvsadm], haproxy, loadBalancers, lvsListeners] = await Promise.all([
        lvsVersions(),
        versions.version('haproxy'),
        listLoadBalancers(paths),
        listLvsListeners(paths),
      ]);
      const [networks, running, listenerLists, lvsRunning, cpu, memory, disk, load, tuned, certificateExpiry] = await Promise.all([
        networkStats.sample(context.config.current.amphora_agent.network_namespace).catch((error: unknown) => {
          context.logger.warn({ err: error }, 'interface counters unavailable');
          return {};
        }),
        Promise.all(loadBalancers.map((lbId) => isHaproxyRunning(paths, lbId))),
        Promise.all(loadBalancers.map((lbId) => listenerIdsOf(lbId))),
        Promise.all(lvsListeners.map((id) => isPidFileAlive(lvsPidPath(paths, id)))),
        readCpuStats(),
        readMemoryStats(),
        readDiskUsage('/'),
        readLoadAverage(),
        readTunedProfiles(),
        certificateExpiryDetails(context.config.current),
      ]);
      const haproxyListeners = listenerLists.flat().sort();
      const listeners = lvsListeners.length > 0 ? [...new Set([...haproxyListeners, ...lvsListeners])].sort() : haproxyListeners;
      return {
        hostname: hostname(),
        haproxy_version: haproxy,
        api_version: API_VERSION,
        networks,
        active: true,
        haproxy_count: running.filter(Boolean).length,
        cpu_count: cpuCount(),
        cpu,
        memory,
        disk,
        load,
        active_tuned_profiles: tuned,
        topology: 'SINGLE',
        topology_status: 'OK',
        listeners,
        packages: {},
        lvs_listener_process_count: lvsRunning.filter(Boolean).length,
        keepalived_version: keepalived,
        ipvsadm_version: ipvsadm,
        // Extension: certificates inside the expiry warning window.
        ...certificateExpiry,
      };
    },
  };
}
