import { join } from 'node:path';
import type { RenderContext } from './context.ts';
import { ipFamily } from '../util/ip.ts';
import { expandExpectedCodes, isLvsProtocol } from '../model/rules.ts';
import type { HealthMonitor, LoadBalancerModel, Member, Pool } from '../model/types.ts';
import { RenderError, renderTemplate } from './template-engine.ts';

/**
 * Model → keepalived LVS configuration for one UDP or SCTP listener (config-rendering.md §3.2,
 * vrrp-lvs.md §B.4), readable by the agent's own LVS status parsers: the `# Configuration for
 * <Type> <id>` comments, `real_server` order and checker keywords are kept exactly.
 */

const LVS_ALGORITHMS: Record<string, string> = { ROUND_ROBIN: 'wrr', LEAST_CONNECTIONS: 'lc', SOURCE_IP: 'sh' };
export const AMPHORA_NAMESPACE = 'amphora-haproxy';

function checker(member: Member, hm: HealthMonitor, ctx: RenderContext): object {
  const ip = member.monitor_address || member.address;
  const port = member.monitor_port || member.protocol_port;
  const none = { misc: null, httpGet: null, tcp: null };
  switch (hm.type) {
    case 'UDP-CONNECT':
      return { ...none, misc: { path: `${join(ctx.basePath, 'lvs/check/udp_check.sh')} ${ip} ${port}`, timeout: hm.timeout } };
    case 'SCTP':
      return { ...none, misc: { path: `amphora-health-checker sctp -t ${hm.timeout} ${ip} ${port}`, timeout: hm.timeout + 1 } };
    case 'HTTP':
      if (hm.http_method !== 'GET') return none;
      return {
        ...none,
        httpGet: { path: hm.url_path ?? '/', codes: expandExpectedCodes(hm.expected_codes ?? '200'), ip, port, timeout: hm.timeout },
      };
    case 'TCP':
      return { ...none, tcp: { ip, port, timeout: hm.timeout } };
    default:
      return none;
  }
}

/** Renders the LVS keepalived config of a UDP/SCTP listener. Pure: no I/O. */
export function renderLvs(model: LoadBalancerModel, listenerId: string, ctx: RenderContext): string {
  const lb = model.loadbalancer;
  const listener = lb.listeners.find((l) => l.id === listenerId);
  if (!listener || !isLvsProtocol(listener.protocol)) throw new RenderError(`listener ${listenerId} is not a UDP or SCTP listener of this load balancer`);
  const pool: Pool | undefined = lb.pools.find((p) => p.id === listener.default_pool_id && p.provisioning_status !== 'PENDING_DELETE');
  const rendered = lb.admin_state_up && listener.admin_state_up && pool !== undefined;
  const vips = [lb.vip, ...lb.additional_vips].map((v) => v.ip_address);
  const groups: object[] = [];
  if (rendered && pool) {
    const hm = pool.healthmonitor !== null && pool.healthmonitor.admin_state_up && pool.healthmonitor.provisioning_status !== 'PENDING_DELETE' ? pool.healthmonitor : null;
    const sp = pool.session_persistence?.type === 'SOURCE_IP' ? pool.session_persistence : null;
    for (const family of [4, 6] as const) {
      const familyVips = vips.filter((v) => ipFamily(v) === family);
      if (familyVips.length === 0) continue;
      groups.push({
        family,
        vips: familyVips,
        port: listener.protocol_port,
        algorithm: LVS_ALGORITHMS[pool.lb_algorithm] ?? 'wrr',
        protocol: listener.protocol,
        persistence: sp
          ? { timeout: sp.persistence_timeout || 360, granularity: sp.persistence_granularity || (family === 4 ? '255.255.255.255' : '128') }
          : null,
        timing: hm ? { delay: hm.delay, retry: hm.max_retries_down || null } : null,
        poolEnabled: pool.admin_state_up,
        poolId: pool.id,
        monitorId: hm?.id ?? null,
        members: pool.admin_state_up
          ? pool.members
              .filter((m) => m.provisioning_status !== 'PENDING_DELETE' && ipFamily(m.address) === family)
              .map((m) => ({
                enabled: m.admin_state_up,
                id: m.id,
                address: m.address,
                port: m.protocol_port,
                weight: m.weight,
                uthreshold: listener.connection_limit > 0 ? listener.connection_limit : null,
                ...(hm ? checker(m, hm, ctx) : { misc: null, httpGet: null, tcp: null }),
              }))
          : [],
      });
    }
  }
  return renderTemplate('keepalived/lvs.conf.hbs', {
    lbId: lb.id,
    listenerId: listener.id,
    listenerEnabled: listener.admin_state_up,
    namespace: ctx.lvsNamespace,
    groups,
    trailingBlank: lb.admin_state_up && listener.admin_state_up,
  });
}
