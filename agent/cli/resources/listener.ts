import type { Listener, LoadBalancerModel, Pool } from '../../model/types.ts';
import { ADMIN_STATE, commandsFor, modelsOf, switchFlags, withAppended, type CommandSet } from '../command-engine.ts';
import { field, type FieldOption } from '../field-options.ts';
import { CliError } from '../errors.ts';
import type { Fleet } from '../fleet.ts';
import type { Row } from '../output.ts';

/** `amphoractl listener ...`. */

export const LISTENER_FIELDS = [
  field('name'),
  field('description'),
  field('connection-limit', 'integer'),
  field('timeout-client-data', 'integer'),
  field('timeout-member-connect', 'integer'),
  field('timeout-member-data', 'integer'),
  field('timeout-tcp-inspect', 'integer'),
  { option: 'allowed-cidr', field: 'allowed_cidrs', kind: 'list' },
] satisfies FieldOption[];
export const LISTENER_CREATE_FIELDS = [...LISTENER_FIELDS, field('protocol'), field('protocol-port', 'integer')];
const COLUMNS = ['id', 'default_pool_id', 'name', 'protocol', 'protocol_port', 'admin_state_up'];

/** The fields `openstack loadbalancer listener show` prints, with the live operating status. */
export function listenerRow(model: LoadBalancerModel, listener: Listener, statuses: Map<string, string>): Row {
  return {
    admin_state_up: listener.admin_state_up,
    allowed_cidrs: listener.allowed_cidrs.length > 0 ? listener.allowed_cidrs : null,
    connection_limit: listener.connection_limit,
    default_pool_id: listener.default_pool_id,
    description: listener.description,
    id: listener.id,
    insert_headers: Object.keys(listener.insert_headers).length > 0 ? Object.entries(listener.insert_headers).map(([k, v]) => `${k}=${v}`) : null,
    loadbalancers: [model.loadbalancer.id],
    name: listener.name,
    operating_status: statuses.get(listener.id),
    protocol: listener.protocol,
    protocol_port: listener.protocol_port,
    provisioning_status: 'ACTIVE',
    timeout_client_data: listener.timeout_client_data,
    timeout_member_connect: listener.timeout_member_connect,
    timeout_member_data: listener.timeout_member_data,
    timeout_tcp_inspect: listener.timeout_tcp_inspect,
  };
}
/** A pool of the same load balancer, by id or name. */
function pickPoolIn(fleet: Fleet, model: LoadBalancerModel, ref: string): Pool {
  const { model: owner, pool } = fleet.pool(ref);
  if (owner.loadbalancer.id !== model.loadbalancer.id) throw new CliError(`Pool ${pool.id} belongs to another load balancer`);
  return pool;
}

export const listenerCommands: CommandSet = {
  name: 'listener',
  usage: `  listener create --name N --protocol P --protocol-port PORT [--connection-limit C] [--timeout-* MS] LB
  listener list [--loadbalancer LB] | show L | set L [...] | delete L
`,
  valuedOptions: [...LISTENER_CREATE_FIELDS.map((f) => f.option), 'default-pool', 'loadbalancer'],
  flags: switchFlags([ADMIN_STATE]),
  commands: commandsFor<{ model: LoadBalancerModel; listener: Listener }>({
    refs: ['LISTENER'],
    find: (fleet, [ref]) => fleet.listener(ref!),
    target: ({ listener }) => listener,
    row: ({ model, listener }, statuses) => listenerRow(model, listener, statuses),
    columns: COLUMNS,
    switches: [ADMIN_STATE],
    create: {
      args: ['LB'],
      required: ['protocol', 'protocol-port'],
      fields: LISTENER_CREATE_FIELDS,
      place: (listener, options, [lbRef]) => {
        const defaultPool = options.string('default-pool');
        return (fleet) => {
          const model = fleet.loadBalancer(lbRef!);
          if (defaultPool !== undefined) listener.default_pool_id = pickPoolIn(fleet, model, defaultPool).id;
          return withAppended(model, 'listeners', listener);
        };
      },
    },
    list: {
      args: [],
      byLoadBalancer: true,
      groups: (fleet, _args, lbRef) =>
        modelsOf(fleet, lbRef).map((model) => ({ model, items: model.loadbalancer.listeners.map((listener) => ({ model, listener })) })),
    },
    set: {
      fields: LISTENER_FIELDS,
      extra: (options) => {
        const defaultPool = options.string('default-pool');
        return (changes, fleet, { model }) => {
          if (defaultPool !== undefined) changes.default_pool_id = pickPoolIn(fleet, model, defaultPool).id;
        };
      },
    },
    remove: ({ model, listener }) => {
      model.loadbalancer.listeners = model.loadbalancer.listeners.filter((l) => l.id !== listener.id);
    },
  }),
};
