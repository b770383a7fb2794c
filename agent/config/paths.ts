import { join } from 'node:path';
import type { AgentConfig } from './options.ts';

/**
 * Every path the agent touches, derived from the configuration. The reference hard-codes a few
 * of these under /var/lib/octavia; here they follow base_path so that a second agent (tests,
 * dev mode) never collides with the system one. With the default base_path they are identical.
 */
export interface AgentPaths {
  basePath: string;
  certDir: string;
  networkDir: string;
  systemdDir: string;
  haproxyUserGroupConfig: string;
  pluggedInterfaces: string;
  nftablesRules: string;
  statsCounters: string;
  lvsDir: string;
  vrrpDir: string;
  lbDir(lbId: string): string;
  haproxyConfig(lbId: string): string;
  haproxyPidFile(lbId: string): string;
  statsSocket(lbId: string): string;
  serversState(lbId: string): string;
  lbCertDir(lbId: string): string;
}

export function pathsFor(config: AgentConfig): AgentPaths {
  const basePath = config.haproxy_amphora.base_path;
  const lbDir = (lbId: string) => join(basePath, lbId);
  return {
    basePath,
    certDir: config.haproxy_amphora.base_cert_dir,
    networkDir: config.amphora_agent.agent_server_network_dir ?? '/etc/octavia/interfaces/',
    systemdDir: config.amphora_agent.systemd_unit_dir,
    haproxyUserGroupConfig: join(basePath, 'haproxy-default-user-group.conf'),
    pluggedInterfaces: join(basePath, 'plugged_interfaces'),
    nftablesRules: join(basePath, 'nftables-vip.rules'),
    statsCounters: join(basePath, 'stats_counters.json'),
    lvsDir: join(basePath, 'lvs'),
    vrrpDir: join(basePath, 'vrrp'),
    lbDir,
    haproxyConfig: (lbId) => join(lbDir(lbId), 'haproxy.cfg'),
    haproxyPidFile: (lbId) => join(lbDir(lbId), `${lbId}.pid`),
    statsSocket: (lbId) => join(basePath, `${lbId}.sock`),
    serversState: (lbId) => join(lbDir(lbId), 'servers-state'),
    lbCertDir: (lbId) => join(config.haproxy_amphora.base_cert_dir, lbId),
  };
}
