import type { HealthMonitor, Listener, LoadBalancerModel, Member, Pool } from '../model/types.ts';
import type { OptionReader } from './args.ts';
import { CliError } from './errors.ts';
import type { Row } from './output.ts';

/**
 * Finding objects in the agent's models by id or name, and turning command options into model
 * fields. The agent validates and fills defaults: new objects carry only what the user gave.
 */

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

/** A command option mapped to a model field. */
export interface FieldOption {
  option: string;
  field: string;
  kind: 'string' | 'integer' | 'number' | 'list';
}

const field = (option: string, kind: FieldOption['kind'] = 'string'): FieldOption => ({ option, field: option.replaceAll('-', '_'), kind });

export const LOADBALANCER_FIELDS = [field('name'), field('description')];
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
export const POOL_FIELDS = [field('name'), field('description'), field('lb-algorithm')];
export const MEMBER_FIELDS = [field('name'), field('weight', 'integer'), field('monitor-address'), field('monitor-port', 'integer')];
export const MEMBER_CREATE_FIELDS = [...MEMBER_FIELDS, field('address'), field('protocol-port', 'integer')];
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

/** Copies the given options onto `target`; options not given leave fields as they are. */
export function applyFieldOptions(target: object, options: OptionReader, fields: readonly FieldOption[]): void {
  const record = target as Record<string, unknown>;
  for (const { option, field: name, kind } of fields) {
    if (kind === 'list') {
      const values = options.all(option);
      if (values.length > 0) record[name] = values;
      continue;
    }
    const text = options.string(option);
    if (text === undefined) continue;
    if (kind === 'string') record[name] = text;
    else if (kind === 'integer') record[name] = options.integer(option);
    else {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new CliError(`argument --${option}: invalid float value: '${text}'`);
      record[name] = value;
    }
  }
}

/** `--enable` / `--disable` (and `--enable-backup` / `--disable-backup` for members). */
export function applySwitch(target: object, options: OptionReader, name: string, fieldName: string): void {
  const on = options.flag(`enable${name}`);
  const off = options.flag(`disable${name}`);
  if (on && off) throw new CliError(`--enable${name} and --disable${name} exclude each other`);
  if (on || off) (target as Record<string, unknown>)[fieldName] = on;
}

export const SWITCH_FLAGS = ['enable', 'disable', 'enable-backup', 'disable-backup', 'cascade', 'help'];

// Rows: the fields `openstack loadbalancer ... show` prints, with live operating statuses.

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

export const LIST_COLUMNS = {
  loadbalancer: ['id', 'name', 'vip_address', 'provisioning_status', 'operating_status'],
  listener: ['id', 'default_pool_id', 'name', 'protocol', 'protocol_port', 'admin_state_up'],
  pool: ['id', 'name', 'provisioning_status', 'protocol', 'lb_algorithm', 'admin_state_up'],
  member: ['id', 'name', 'provisioning_status', 'address', 'protocol_port', 'operating_status', 'weight'],
  healthmonitor: ['id', 'name', 'type', 'admin_state_up'],
} as const;
