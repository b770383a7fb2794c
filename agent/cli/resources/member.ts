import type { LoadBalancerModel, Member, Pool } from '../../model/types.ts';
import { ADMIN_STATE, BACKUP, commandsFor, switchFlags, withPoolChanged, type CommandSet } from '../command-engine.ts';
import { field } from '../field-options.ts';
import type { Row } from '../output.ts';

/** `amphoractl member ...`. */

export const MEMBER_FIELDS = [field('name'), field('weight', 'integer'), field('monitor-address'), field('monitor-port', 'integer')];
export const MEMBER_CREATE_FIELDS = [...MEMBER_FIELDS, field('address'), field('protocol-port', 'integer')];
const COLUMNS = ['id', 'name', 'provisioning_status', 'address', 'protocol_port', 'operating_status', 'weight'];

/** The fields `openstack loadbalancer member show` prints, with the live operating status. */
export function memberRow(member: Member, statuses: Map<string, string>): Row {
  return {
    address: member.address,
    admin_state_up: member.admin_state_up,
    backup: member.backup,
    id: member.id,
    monitor_address: member.monitor_address,
    monitor_port: member.monitor_port,
    name: member.name,
    operating_status: statuses.get(member.id),
    protocol_port: member.protocol_port,
    provisioning_status: 'ACTIVE',
    weight: member.weight,
  };
}
export const memberCommands: CommandSet = {
  name: 'member',
  usage: `  member create --address IP --protocol-port PORT [--name N] [--weight W] [--enable-backup] POOL
  member list POOL | show POOL M | set POOL M [--weight W] [--enable|--disable] | delete POOL M
`,
  valuedOptions: MEMBER_CREATE_FIELDS.map((f) => f.option),
  flags: switchFlags([ADMIN_STATE, BACKUP]),
  commands: commandsFor<{ model: LoadBalancerModel; pool: Pool; member: Member }>({
    refs: ['POOL', 'MEMBER'],
    find: (fleet, [poolRef, ref]) => {
      const { model, pool } = fleet.pool(poolRef!);
      return { model, pool, member: fleet.member(pool, ref!) };
    },
    target: ({ member }) => member,
    row: ({ member }, statuses) => memberRow(member, statuses),
    columns: COLUMNS,
    switches: [ADMIN_STATE, BACKUP],
    create: {
      args: ['POOL'],
      required: ['address', 'protocol-port'],
      fields: MEMBER_CREATE_FIELDS,
      place: (member, _options, [poolRef]) => (fleet) => {
        const { model, pool } = fleet.pool(poolRef!);
        return withPoolChanged(model, pool, { members: [...pool.members, member] });
      },
    },
    list: {
      args: ['POOL'],
      byLoadBalancer: false,
      groups: (fleet, [poolRef]) => {
        const { model, pool } = fleet.pool(poolRef!);
        return [{ model, items: pool.members.map((member) => ({ model, pool, member })) }];
      },
    },
    set: { fields: MEMBER_FIELDS },
    remove: ({ pool, member }) => {
      pool.members = pool.members.filter((m) => m.id !== member.id);
    },
  }),
};
