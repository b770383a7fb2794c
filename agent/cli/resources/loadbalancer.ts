import type { LoadBalancerModel } from '../../model/types.ts';
import { isLvsProtocol } from '../../model/rules.ts';
import { ACTIVE_STANDBY_OPTIONS, ACTIVE_STANDBY_USAGE, activeStandbyCreate } from '../active-standby.ts';
import { ADMIN_STATE, commandsFor, positional, switchFlags, type CommandSet } from '../command-engine.ts';
import { field } from '../field-options.ts';
import { CliError } from '../errors.ts';
import type { Row } from '../output.ts';
import { statusTree } from '../status.ts';

/** `amphoractl loadbalancer ...` and `amphoractl loadbalancer status show`. */

export const LOADBALANCER_FIELDS = [field('name'), field('description')];
const COLUMNS = ['id', 'name', 'vip_address', 'provisioning_status', 'operating_status'];

/** The fields `openstack loadbalancer show` prints, with the live operating status. */
export function loadBalancerRow(model: LoadBalancerModel, statuses: Map<string, string>): Row {
  const lb = model.loadbalancer;
  return {
    admin_state_up: lb.admin_state_up,
    description: lb.description,
    id: lb.id,
    listeners: lb.listeners.map((listener) => listener.id),
    name: lb.name,
    operating_status: statuses.get(lb.id),
    pools: lb.pools.map((pool) => pool.id),
    provisioning_status: 'ACTIVE',
    topology: lb.topology,
    vip_address: lb.vip.ip_address,
  };
}
const modelCommands = commandsFor<{ model: LoadBalancerModel }>({
  refs: ['LB'],
  find: (fleet, [ref]) => ({ model: fleet.loadBalancer(ref!) }),
  target: ({ model }) => model.loadbalancer,
  row: ({ model }, statuses) => loadBalancerRow(model, statuses),
  columns: COLUMNS,
  switches: [ADMIN_STATE],
  create: {
    args: [],
    init: (options) => ({ vip: { ip_address: options.required('vip-address') } }),
    required: [],
    fields: LOADBALANCER_FIELDS,
    place: (lb) => () => ({ loadbalancer: lb }),
  },
  list: { args: [], byLoadBalancer: false, groups: (fleet) => fleet.models.map((model) => ({ model, items: [{ model }] })) },
  set: { fields: LOADBALANCER_FIELDS },
});

export const loadBalancerCommands: CommandSet = {
  name: 'loadbalancer',
  usage: `  loadbalancer create --name N --vip-address IP [--description D] [--enable|--disable]
${ACTIVE_STANDBY_USAGE}
  loadbalancer list | show LB | set LB [--name N] [--description D] [--enable|--disable]
  loadbalancer delete LB [--cascade]
`,
  valuedOptions: [...LOADBALANCER_FIELDS.map((f) => f.option), 'vip-address', ...ACTIVE_STANDBY_OPTIONS],
  flags: [...switchFlags([ADMIN_STATE]), 'cascade'],
  commands: {
    ...modelCommands,
    create: (args, options) => {
      const topology = options.string('topology') ?? 'SINGLE';
      if (topology === 'SINGLE') return modelCommands.create!(args, options);
      if (topology !== 'ACTIVE_STANDBY') throw new CliError(`argument --topology: invalid choice: '${topology}' (choose from SINGLE, ACTIVE_STANDBY)`);
      positional(args, []);
      const create = activeStandbyCreate(options, LOADBALANCER_FIELDS);
      return async (session) => {
        const created = await create(session);
        const model = (await session.fleet()).loadBalancer(created.loadbalancer.id);
        session.show(loadBalancerRow(model, await session.statuses(model)));
      };
    },
    delete: (args, options) => {
      const [ref] = positional(args, ['LB']);
      const cascade = options.flag('cascade');
      return async (session) => {
        const lb = (await session.fleet()).loadBalancer(ref!).loadbalancer;
        if (!cascade && (lb.listeners.length > 0 || lb.pools.length > 0)) {
          throw new CliError(`Load balancer ${lb.id} has listeners or pools: delete them first or use --cascade`);
        }
        // ACTIVE_STANDBY: on both agents, and their keepalived stopped (it only served this LB).
        const clients = lb.topology === 'ACTIVE_STANDBY' && session.peer ? [session.client, session.peer] : [session.client];
        for (const client of clients) {
          // One keepalived per UDP/SCTP listener, as the controller deletes them one by one.
          for (const listener of lb.listeners.filter((l) => isLvsProtocol(l.protocol))) await client.deleteLvsListener(listener.id);
          await client.deleteLoadBalancer(lb.id);
          if (lb.topology === 'ACTIVE_STANDBY') await client.stopVrrp();
        }
      };
    },
  },
};

export const loadBalancerStatusCommands: CommandSet = {
  name: 'loadbalancer status',
  usage: `  loadbalancer status show LB
`,
  commands: {
    show: (args) => {
      const [ref] = positional(args, ['LB']);
      return async (session) => {
        const model = (await session.fleet()).loadBalancer(ref!);
        session.print(`${JSON.stringify(statusTree(model, await session.statuses(model)), null, 4)}\n`);
      };
    },
  },
};
