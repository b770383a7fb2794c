import type { LoadBalancerModel, Pool } from '../../model/types.ts';
import { ADMIN_STATE, commandsFor, modelsOf, switchFlags, withAppended, type CommandSet } from '../command-engine.ts';
import { field } from '../field-options.ts';
import { CliError } from '../errors.ts';
import type { Row } from '../output.ts';

/** `amphoractl pool ...`. */

export const POOL_FIELDS = [field('name'), field('description'), field('lb-algorithm')];
const COLUMNS = ['id', 'name', 'provisioning_status', 'protocol', 'lb_algorithm', 'admin_state_up'];

/** The fields `openstack loadbalancer pool show` prints, with the live operating status. */
export function poolRow(model: LoadBalancerModel, pool: Pool, statuses: Map<string, string>): Row {
  const listeners = model.loadbalancer.listeners.filter((listener) => listener.default_pool_id === pool.id);
  return {
    admin_state_up: pool.admin_state_up,
    description: pool.description,
    healthmonitor_id: pool.healthmonitor?.id ?? null,
    id: pool.id,
    lb_algorithm: pool.lb_algorithm,
    listeners: listeners.map((listener) => listener.id),
    loadbalancers: [model.loadbalancer.id],
    members: pool.members.map((member) => member.id),
    name: pool.name,
    operating_status: statuses.get(pool.id),
    protocol: pool.protocol,
    provisioning_status: 'ACTIVE',
    session_persistence: pool.session_persistence?.type ?? null,
  };
}
function sessionPersistence(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const entries = text.split(',').map((part) => {
    const equals = part.indexOf('=');
    if (equals < 0) throw new CliError(`argument --session-persistence: expected key=value pairs, got '${part}'`);
    return [part.slice(0, equals), part.slice(equals + 1)];
  });
  return Object.fromEntries(entries);
}

function detachPool(model: LoadBalancerModel, poolId: string): void {
  for (const listener of model.loadbalancer.listeners) if (listener.default_pool_id === poolId) listener.default_pool_id = null;
}

export const poolCommands: CommandSet = {
  name: 'pool',
  usage: `  pool create --name N --lb-algorithm A --protocol P (--listener L | --loadbalancer LB)
              [--session-persistence type=T[,cookie_name=C]]
  pool list [--loadbalancer LB] | show P | set P [--name N] [--lb-algorithm A] | delete P
`,
  valuedOptions: [...POOL_FIELDS.map((f) => f.option), 'protocol', 'listener', 'loadbalancer', 'session-persistence'],
  flags: switchFlags([ADMIN_STATE]),
  commands: commandsFor<{ model: LoadBalancerModel; pool: Pool }>({
    refs: ['POOL'],
    find: (fleet, [ref]) => fleet.pool(ref!),
    target: ({ pool }) => pool,
    row: ({ model, pool }, statuses) => poolRow(model, pool, statuses),
    columns: COLUMNS,
    switches: [ADMIN_STATE],
    create: {
      args: [],
      init: () => ({ members: [] }),
      required: ['protocol', 'lb-algorithm'],
      fields: [...POOL_FIELDS, field('protocol')],
      place: (pool, options) => {
        const persistence = sessionPersistence(options.string('session-persistence'));
        if (persistence !== undefined) pool.session_persistence = persistence;
        const listenerRef = options.string('listener');
        const lbRef = options.string('loadbalancer');
        if (listenerRef === undefined && lbRef === undefined) throw new CliError('one of --listener or --loadbalancer is required');
        return (fleet) => {
          const model = listenerRef !== undefined ? fleet.listener(listenerRef).model : fleet.loadBalancer(lbRef!);
          if (lbRef !== undefined && fleet.loadBalancer(lbRef).loadbalancer.id !== model.loadbalancer.id) {
            throw new CliError('--listener and --loadbalancer name different load balancers');
          }
          if (listenerRef !== undefined) {
            const { listener } = fleet.listener(listenerRef);
            if (listener.default_pool_id !== null) throw new CliError(`Listener ${listener.id} already has default pool ${listener.default_pool_id}`);
            listener.default_pool_id = pool.id;
          }
          return withAppended(model, 'pools', pool);
        };
      },
    },
    list: {
      args: [],
      byLoadBalancer: true,
      groups: (fleet, _args, lbRef) => modelsOf(fleet, lbRef).map((model) => ({ model, items: model.loadbalancer.pools.map((pool) => ({ model, pool })) })),
    },
    set: {
      fields: POOL_FIELDS,
      extra: (options) => {
        const persistence = sessionPersistence(options.string('session-persistence'));
        return (changes) => {
          if (persistence !== undefined) changes.session_persistence = persistence;
        };
      },
    },
    // As Octavia: the pool's members and health monitor go with it.
    remove: ({ model, pool }) => {
      model.loadbalancer.pools = model.loadbalancer.pools.filter((p) => p.id !== pool.id);
      detachPool(model, pool.id);
    },
  }),
};
