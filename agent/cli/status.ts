import type { LoadBalancerModel } from '../model/types.ts';
import type { LiveStatus } from './client.ts';

/**
 * Operating statuses of every object of one LB from haproxy's live statuses, mapped as
 * Octavia's health manager maps a heartbeat: listener OPEN → ONLINE, FULL → DEGRADED; backend
 * UP → ONLINE, DOWN → ERROR; server UP → ONLINE, DOWN → ERROR (pool and LB DEGRADED), DRAIN →
 * DRAINING, MAINT → OFFLINE, no check → NO_MONITOR; anything haproxy does not report is OFFLINE.
 */
export function operatingStatuses(model: LoadBalancerModel, live: LiveStatus | undefined): Map<string, string> {
  const lb = model.loadbalancer;
  const statuses = new Map<string, string>();
  let lbStatus = live?.running ? 'ONLINE' : 'OFFLINE';
  const degrade = () => {
    if (lbStatus === 'ONLINE') lbStatus = 'DEGRADED';
  };
  for (const listener of lb.listeners) {
    const reported = live?.listeners.find((l) => l.id === listener.id)?.status;
    let status = 'OFFLINE';
    if (reported === 'OPEN') status = 'ONLINE';
    else if (reported === 'FULL') {
      status = 'DEGRADED';
      degrade();
    }
    statuses.set(listener.id, status);
  }
  for (const pool of lb.pools) {
    const backends = live?.pools.filter((p) => p.id === pool.id) ?? [];
    let poolStatus = 'OFFLINE';
    if (backends.some((b) => b.status === 'DOWN')) {
      poolStatus = 'ERROR';
      lbStatus = 'ERROR';
    } else if (backends.some((b) => b.status === 'UP')) poolStatus = 'ONLINE';
    for (const member of pool.members) {
      const reported = backends.flatMap((b) => b.members).find((m) => m.id === member.id)?.status;
      let status = 'OFFLINE';
      if (reported?.startsWith('UP')) status = 'ONLINE';
      else if (reported?.startsWith('DOWN')) {
        status = 'ERROR';
        if (poolStatus === 'ONLINE') poolStatus = 'DEGRADED';
        degrade();
      } else if (reported === 'DRAIN') status = 'DRAINING';
      else if (reported === 'no check') status = 'NO_MONITOR';
      statuses.set(member.id, status);
    }
    statuses.set(pool.id, poolStatus);
    if (pool.healthmonitor) statuses.set(pool.healthmonitor.id, poolStatus === 'OFFLINE' ? 'OFFLINE' : 'ONLINE');
  }
  statuses.set(lb.id, lbStatus);
  return statuses;
}

/** The tree `openstack loadbalancer status show` prints. */
export function statusTree(model: LoadBalancerModel, statuses: Map<string, string>): unknown {
  const lb = model.loadbalancer;
  const provisioning = 'ACTIVE';
  const poolNode = (poolId: string) => {
    const pool = lb.pools.find((p) => p.id === poolId);
    if (!pool) return undefined;
    const monitor = pool.healthmonitor;
    return {
      id: pool.id,
      name: pool.name,
      provisioning_status: provisioning,
      operating_status: statuses.get(pool.id),
      ...(monitor
        ? { health_monitor: { id: monitor.id, name: monitor.name, type: monitor.type, provisioning_status: provisioning, operating_status: statuses.get(monitor.id) } }
        : {}),
      members: pool.members.map((member) => ({
        id: member.id,
        name: member.name,
        operating_status: statuses.get(member.id),
        provisioning_status: provisioning,
        address: member.address,
        protocol_port: member.protocol_port,
      })),
    };
  };
  return {
    loadbalancer: {
      id: lb.id,
      name: lb.name,
      operating_status: statuses.get(lb.id),
      provisioning_status: provisioning,
      listeners: lb.listeners.map((listener) => ({
        id: listener.id,
        name: listener.name,
        operating_status: statuses.get(listener.id),
        provisioning_status: provisioning,
        pools: [listener.default_pool_id, ...listener.l7policies.map((p) => p.redirect_pool_id)]
          .filter((id, index, all): id is string => id !== null && all.indexOf(id) === index)
          .map(poolNode)
          .filter((node) => node !== undefined),
      })),
    },
  };
}
