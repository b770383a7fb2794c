import type { HealthMonitor, LoadBalancerModel, Pool } from '../../model/types.ts';
import { ADMIN_STATE, commandsFor, switchFlags, withPoolChanged, type CommandSet } from '../command-engine.ts';
import { field } from '../field-options.ts';
import { CliError } from '../errors.ts';
import type { Row } from '../output.ts';

/** `amphoractl healthmonitor ...`. */

export const HEALTHMONITOR_FIELDS = [
  field('name'),
  field('delay', 'integer'),
  field('timeout', 'integer'),
  field('max-retries', 'integer'),
  field('max-retries-down', 'integer'),
  field('http-method'),
  field('url-path'),
  field('expected-codes'),
  field('http-version', 'number'),
  field('domain-name'),
];
const COLUMNS = ['id', 'name', 'type', 'admin_state_up'];

/** The fields `openstack loadbalancer healthmonitor show` prints, with the live operating status. */
export function healthMonitorRow(pool: Pool, monitor: HealthMonitor, statuses: Map<string, string>): Row {
  return {
    admin_state_up: monitor.admin_state_up,
    delay: monitor.delay,
    domain_name: monitor.domain_name,
    expected_codes: monitor.expected_codes,
    http_method: monitor.http_method,
    http_version: monitor.http_version,
    id: monitor.id,
    max_retries: monitor.max_retries,
    max_retries_down: monitor.max_retries_down,
    name: monitor.name,
    operating_status: statuses.get(monitor.id),
    pools: [pool.id],
    provisioning_status: 'ACTIVE',
    timeout: monitor.timeout,
    type: monitor.type,
    url_path: monitor.url_path,
  };
}
export const healthMonitorCommands: CommandSet = {
  name: 'healthmonitor',
  usage: `  healthmonitor create --delay S --max-retries N --timeout S --type T [--url-path /] [--name N] POOL
  healthmonitor list | show H | set H [...] | delete H
`,
  valuedOptions: [...HEALTHMONITOR_FIELDS.map((f) => f.option), 'type'],
  flags: switchFlags([ADMIN_STATE]),
  commands: commandsFor<{ model: LoadBalancerModel; pool: Pool; monitor: HealthMonitor }>({
    refs: ['HEALTHMONITOR'],
    find: (fleet, [ref]) => fleet.healthMonitor(ref!),
    target: ({ monitor }) => monitor,
    row: ({ pool, monitor }, statuses) => healthMonitorRow(pool, monitor, statuses),
    columns: COLUMNS,
    switches: [ADMIN_STATE],
    create: {
      args: ['POOL'],
      required: ['delay', 'max-retries', 'timeout', 'type'],
      fields: [...HEALTHMONITOR_FIELDS, field('type')],
      place: (monitor, _options, [poolRef]) => (fleet) => {
        const { model, pool } = fleet.pool(poolRef!);
        if (pool.healthmonitor) throw new CliError(`Pool ${pool.id} already has health monitor ${pool.healthmonitor.id}`);
        return withPoolChanged(model, pool, { healthmonitor: monitor });
      },
    },
    list: {
      args: [],
      byLoadBalancer: false,
      groups: (fleet) =>
        fleet.models.map((model) => ({
          model,
          items: model.loadbalancer.pools.flatMap((pool) => (pool.healthmonitor ? [{ model, pool, monitor: pool.healthmonitor }] : [])),
        })),
    },
    set: { fields: HEALTHMONITOR_FIELDS },
    remove: ({ pool }) => {
      pool.healthmonitor = null;
    },
  }),
};
