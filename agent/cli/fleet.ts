import type { HealthMonitor, Listener, LoadBalancerModel, Member, Pool } from '../model/types.ts';
import { CliError } from './errors.ts';

/** Finding objects in the agent's models by id or name, as the openstack client does. */

/** Every load balancer this agent holds a model for (GET /1.0/models). */
export class Fleet {
  readonly amphoraId: string;
  readonly models: LoadBalancerModel[];

  constructor(amphoraId: string, models: LoadBalancerModel[]) {
    this.amphoraId = amphoraId;
    this.models = models;
  }

  loadBalancer(ref: string): LoadBalancerModel {
    return pick('loadbalancer', ref, this.models.map((model) => ({ item: model, id: model.loadbalancer.id, name: model.loadbalancer.name })));
  }

  listener(ref: string): { model: LoadBalancerModel; listener: Listener } {
    const candidates = this.models.flatMap((model) =>
      model.loadbalancer.listeners.map((listener) => ({ item: { model, listener }, id: listener.id, name: listener.name })),
    );
    return pick('listener', ref, candidates);
  }

  pool(ref: string): { model: LoadBalancerModel; pool: Pool } {
    const candidates = this.models.flatMap((model) => model.loadbalancer.pools.map((pool) => ({ item: { model, pool }, id: pool.id, name: pool.name })));
    return pick('pool', ref, candidates);
  }

  member(pool: Pool, ref: string): Member {
    return pick('member', ref, pool.members.map((member) => ({ item: member, id: member.id, name: member.name })));
  }

  healthMonitor(ref: string): { model: LoadBalancerModel; pool: Pool; monitor: HealthMonitor } {
    const candidates = this.models.flatMap((model) =>
      model.loadbalancer.pools.flatMap((pool) =>
        pool.healthmonitor ? [{ item: { model, pool, monitor: pool.healthmonitor }, id: pool.healthmonitor.id, name: pool.healthmonitor.name }] : [],
      ),
    );
    return pick('healthmonitor', ref, candidates);
  }
}

/** An id match wins; else exactly one name match; as the openstack client's find_resource. */
export function pick<T>(kind: string, ref: string, candidates: { item: T; id: string; name: string }[]): T {
  const byId = candidates.find((candidate) => candidate.id === ref);
  if (byId) return byId.item;
  const byName = candidates.filter((candidate) => candidate.name === ref);
  if (byName.length === 1) return byName[0]!.item;
  if (byName.length > 1) throw new CliError(`More than one ${kind} exists with the name '${ref}'; use its id`);
  throw new CliError(`Unable to locate ${ref} in ${kind}s`);
}
