import { listenerStatsCommands, loadBalancerStatsCommands } from './stats-commands.ts';
import { randomUUID } from 'node:crypto';
import type { HealthMonitor, Listener, LoadBalancerModel, Member, Pool } from '../render/model.ts';
import { isLvsProtocol } from '../render/model.ts';
import { OptionReader, parseArgs } from './args.ts';
import { AgentClient, type LiveStatus } from './client.ts';
import { CONNECTION_OPTIONS, resolveConnection } from './connection.ts';
import { CliError } from './errors.ts';
import { formatList, formatShow, parseFormat, type OutputOptions, type Row } from './output.ts';
import {
  applyFieldOptions,
  applySwitch,
  type FieldOption,
  Fleet,
  healthMonitorRow,
  HEALTHMONITOR_FIELDS,
  LIST_COLUMNS,
  listenerRow,
  LISTENER_CREATE_FIELDS,
  LISTENER_FIELDS,
  loadBalancerRow,
  LOADBALANCER_FIELDS,
  memberRow,
  MEMBER_CREATE_FIELDS,
  MEMBER_FIELDS,
  poolRow,
  POOL_FIELDS,
  SWITCH_FLAGS,
} from './resources.ts';
import { operatingStatuses, statusTree } from './status.ts';
import { TRUST_FLAGS, trustCommands } from './trust-commands.ts';

export const USAGE = `usage: amphoractl [--url URL] [--cert PEM] [--cacert PEM] [--server-name NAME] [--state-dir DIR]
                  RESOURCE ACTION [ARGS] [-f table|json|value] [-c COLUMN ...]

  loadbalancer create --name N --vip-address IP [--description D] [--enable|--disable]
  loadbalancer list | show LB | set LB [--name N] [--description D] [--enable|--disable]
  loadbalancer delete LB [--cascade]
  loadbalancer status show LB
  loadbalancer stats show LB
  listener stats show LISTENER
  listener create --name N --protocol P --protocol-port PORT [--connection-limit C] [--timeout-* MS] LB
  listener list [--loadbalancer LB] | show L | set L [...] | delete L
  pool create --name N --lb-algorithm A --protocol P (--listener L | --loadbalancer LB)
              [--session-persistence type=T[,cookie_name=C]]
  pool list [--loadbalancer LB] | show P | set P [--name N] [--lb-algorithm A] | delete P
  member create --address IP --protocol-port PORT [--name N] [--weight W] [--enable-backup] POOL
  member list POOL | show POOL M | set POOL M [--weight W] [--enable|--disable] | delete POOL M
  healthmonitor create --delay S --max-retries N --timeout S --type T [--url-path /] [--name N] POOL
  healthmonitor list | show H | set H [...] | delete H
  trust show | set-client-ca FILE [--force] | set-server-cert FILE

Objects are named by id or name. Connection defaults: AMPHORACTL_URL, AMPHORACTL_CERT,
AMPHORACTL_CACERT, AMPHORACTL_SERVER_NAME, else the dev-mode state folder (./.state).
`;

/** What a command does once its arguments are read and checked (no I/O before that). */
type Action = (session: Session) => Promise<void>;
type Handler = (args: string[], options: OptionReader) => Action;

/** The agent as amphoractl uses it: read the models, save one back, read live statuses. */
export class Session {
  readonly client: AgentClient;
  readonly output: OutputOptions;
  readonly print: (text: string) => void;

  constructor(client: AgentClient, output: OutputOptions, print: (text: string) => void) {
    this.client = client;
    this.output = output;
    this.print = print;
  }

  async fleet(): Promise<Fleet> {
    const list = await this.client.listModels();
    return new Fleet(list.amphora_id, list.models);
  }

  async save(fleet: Fleet, model: LoadBalancerModel): Promise<void> {
    await this.client.putModel(fleet.amphoraId, model);
  }

  async statuses(model: LoadBalancerModel): Promise<Map<string, string>> {
    const live: LiveStatus | undefined = await this.client.liveStatus(model.loadbalancer.id).catch(() => undefined);
    return operatingStatuses(model, live);
  }

  show(row: Row): void {
    this.print(formatShow(row, this.output));
  }

  list(columns: readonly string[], rows: Row[]): void {
    this.print(formatList(columns, rows, this.output));
  }
}

function positional(args: string[], names: string[]): string[] {
  if (args.length < names.length) throw new CliError(`the following arguments are required: ${names.slice(args.length).join(', ')}`);
  if (args.length > names.length) throw new CliError(`unrecognized arguments: ${args.slice(names.length).join(' ')}`);
  return args;
}

/** Applies an edit to a fresh copy of the models, saves the LB it touched, returns the new fleet. */
async function edit(session: Session, change: (fleet: Fleet) => LoadBalancerModel): Promise<Fleet> {
  const fleet = await session.fleet();
  await session.save(fleet, change(fleet));
  return session.fleet();
}

// --- the five commands every resource has ------------------------------------------------

/** An `--enable<suffix>` / `--disable<suffix>` pair and the field it sets. */
type Switch = readonly [suffix: string, field: string];
const ADMIN_STATE: Switch = ['', 'admin_state_up'];
const BACKUP: Switch = ['-backup', 'backup'];

/** Objects of one resource in one load balancer: a list takes one status query per group. */
interface Group<F> {
  model: LoadBalancerModel;
  items: F[];
}

/** What `create`, `list`, `show`, `set` and `delete` need to know of one resource. */
interface Resource<F extends { model: LoadBalancerModel }> {
  /** The positional arguments that name one object; a parent's come first (POOL MEMBER). */
  refs: string[];
  find(fleet: Fleet, refs: string[]): F;
  /** The object `set` changes. */
  target(found: F): object;
  row(found: F, statuses: Map<string, string>): Row;
  columns: readonly string[];
  switches: readonly Switch[];
  create: {
    /** Positional arguments; those naming a parent also find the new object afterwards. */
    args: string[];
    /** Fields read before the required options are checked. */
    init?(options: OptionReader): Record<string, unknown>;
    required: string[];
    fields: readonly FieldOption[];
    /** Reads any further options; returns how the new object joins its load balancer. */
    place(object: Record<string, unknown>, options: OptionReader, args: string[]): (fleet: Fleet) => LoadBalancerModel;
  };
  list: {
    args: string[];
    /** Whether `--loadbalancer LB` narrows the list. */
    byLoadBalancer: boolean;
    groups(fleet: Fleet, args: string[], loadBalancerRef: string | undefined): Group<F>[];
  };
  set: {
    fields: readonly FieldOption[];
    /** Reads further options; what it returns completes the changes once the object is found. */
    extra?(options: OptionReader): (changes: Record<string, unknown>, fleet: Fleet, found: F) => void;
  };
  /** Takes the object out of its load balancer (absent where `delete` is a command of its own). */
  remove?(found: F): void;
}

/** `create`, `list`, `show`, `set` and, where the resource has `remove`, `delete`. */
function commandsFor<F extends { model: LoadBalancerModel }>(resource: Resource<F>): Record<string, Handler> {
  const commands: Record<string, Handler> = {
    create: (args, options) => {
      const { create } = resource;
      const parents = positional(args, create.args);
      const object: Record<string, unknown> = { id: randomUUID(), ...create.init?.(options) };
      for (const name of create.required) options.required(name);
      applyFieldOptions(object, options, create.fields);
      for (const [suffix, field] of resource.switches) applySwitch(object, options, suffix, field);
      const place = create.place(object, options, parents);
      const refs = [...parents.slice(0, resource.refs.length - 1), object.id as string];
      return async (session) => {
        const found = resource.find(await edit(session, place), refs);
        session.show(resource.row(found, await session.statuses(found.model)));
      };
    },
    list: (args, options) => {
      const { list } = resource;
      const listArgs = positional(args, list.args);
      const lbRef = list.byLoadBalancer ? options.string('loadbalancer') : undefined;
      return async (session) => {
        const rows: Row[] = [];
        for (const { model, items } of list.groups(await session.fleet(), listArgs, lbRef)) {
          const statuses = await session.statuses(model);
          for (const item of items) rows.push(resource.row(item, statuses));
        }
        session.list(resource.columns, rows);
      };
    },
    show: (args) => {
      const refs = positional(args, resource.refs);
      return async (session) => {
        const found = resource.find(await session.fleet(), refs);
        session.show(resource.row(found, await session.statuses(found.model)));
      };
    },
    set: (args, options) => {
      const refs = positional(args, resource.refs);
      const changes: Record<string, unknown> = {};
      applyFieldOptions(changes, options, resource.set.fields);
      for (const [suffix, field] of resource.switches) applySwitch(changes, options, suffix, field);
      const complete = resource.set.extra?.(options);
      return async (session) => {
        await edit(session, (fleet) => {
          const found = resource.find(fleet, refs);
          complete?.(changes, fleet, found);
          Object.assign(resource.target(found), changes);
          return found.model;
        });
      };
    },
  };
  const remove = resource.remove;
  if (remove) {
    commands.delete = (args) => {
      const refs = positional(args, resource.refs);
      return async (session) => {
        await edit(session, (fleet) => {
          const found = resource.find(fleet, refs);
          remove(found);
          return found.model;
        });
      };
    };
  }
  return commands;
}

/** The models `--loadbalancer LB` names, or all of them. */
function modelsOf(fleet: Fleet, lbRef: string | undefined): LoadBalancerModel[] {
  return lbRef === undefined ? fleet.models : [fleet.loadBalancer(lbRef)];
}

// --- loadbalancer -------------------------------------------------------------------------

const loadBalancerCommands: Record<string, Handler> = {
  ...commandsFor<{ model: LoadBalancerModel }>({
    refs: ['LB'],
    find: (fleet, [ref]) => ({ model: fleet.loadBalancer(ref!) }),
    target: ({ model }) => model.loadbalancer,
    row: ({ model }, statuses) => loadBalancerRow(model, statuses),
    columns: LIST_COLUMNS.loadbalancer,
    switches: [ADMIN_STATE],
    create: {
      args: [],
      init: (options) => ({ vip: { ip_address: options.required('vip-address') } }),
      required: [],
      fields: LOADBALANCER_FIELDS,
      place: (lb) => () => ({ loadbalancer: lb }) as unknown as LoadBalancerModel,
    },
    list: { args: [], byLoadBalancer: false, groups: (fleet) => fleet.models.map((model) => ({ model, items: [{ model }] })) },
    set: { fields: LOADBALANCER_FIELDS },
  }),
  delete: (args, options) => {
    const [ref] = positional(args, ['LB']);
    const cascade = options.flag('cascade');
    return async (session) => {
      const lb = (await session.fleet()).loadBalancer(ref!).loadbalancer;
      if (!cascade && (lb.listeners.length > 0 || lb.pools.length > 0)) {
        throw new CliError(`Load balancer ${lb.id} has listeners or pools: delete them first or use --cascade`);
      }
      // One keepalived per UDP/SCTP listener, as the controller deletes them one by one.
      for (const listener of lb.listeners.filter((l) => isLvsProtocol(l.protocol))) await session.client.deleteLvsListener(listener.id);
      await session.client.deleteLoadBalancer(lb.id);
    };
  },
};

const loadBalancerStatusCommands: Record<string, Handler> = {
  show: (args) => {
    const [ref] = positional(args, ['LB']);
    return async (session) => {
      const model = (await session.fleet()).loadBalancer(ref!);
      session.print(`${JSON.stringify(statusTree(model, await session.statuses(model)), null, 4)}\n`);
    };
  },
};

// --- listener -----------------------------------------------------------------------------

function detachPool(model: LoadBalancerModel, poolId: string): void {
  for (const listener of model.loadbalancer.listeners) if (listener.default_pool_id === poolId) listener.default_pool_id = null;
}

const listenerCommands = commandsFor<{ model: LoadBalancerModel; listener: Listener }>({
  refs: ['LISTENER'],
  find: (fleet, [ref]) => fleet.listener(ref!),
  target: ({ listener }) => listener,
  row: ({ model, listener }, statuses) => listenerRow(model, listener, statuses),
  columns: LIST_COLUMNS.listener,
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
        model.loadbalancer.listeners.push(listener as unknown as Listener);
        return model;
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
});

function pickPoolIn(fleet: Fleet, model: LoadBalancerModel, ref: string): Pool {
  const { model: owner, pool } = fleet.pool(ref);
  if (owner.loadbalancer.id !== model.loadbalancer.id) throw new CliError(`Pool ${pool.id} belongs to another load balancer`);
  return pool;
}

// --- pool ---------------------------------------------------------------------------------

function sessionPersistence(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const entries = text.split(',').map((part) => {
    const equals = part.indexOf('=');
    if (equals < 0) throw new CliError(`argument --session-persistence: expected key=value pairs, got '${part}'`);
    return [part.slice(0, equals), part.slice(equals + 1)];
  });
  return Object.fromEntries(entries);
}

const poolCommands = commandsFor<{ model: LoadBalancerModel; pool: Pool }>({
  refs: ['POOL'],
  find: (fleet, [ref]) => fleet.pool(ref!),
  target: ({ pool }) => pool,
  row: ({ model, pool }, statuses) => poolRow(model, pool, statuses),
  columns: LIST_COLUMNS.pool,
  switches: [ADMIN_STATE],
  create: {
    args: [],
    init: () => ({ members: [] }),
    required: ['protocol', 'lb-algorithm'],
    fields: [...POOL_FIELDS, { option: 'protocol', field: 'protocol', kind: 'string' }],
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
          listener.default_pool_id = pool.id as string;
        }
        model.loadbalancer.pools.push(pool as unknown as Pool);
        return model;
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
});

// --- member -------------------------------------------------------------------------------

const memberCommands = commandsFor<{ model: LoadBalancerModel; pool: Pool; member: Member }>({
  refs: ['POOL', 'MEMBER'],
  find: (fleet, [poolRef, ref]) => {
    const { model, pool } = fleet.pool(poolRef!);
    return { model, pool, member: fleet.member(pool, ref!) };
  },
  target: ({ member }) => member,
  row: ({ member }, statuses) => memberRow(member, statuses),
  columns: LIST_COLUMNS.member,
  switches: [ADMIN_STATE, BACKUP],
  create: {
    args: ['POOL'],
    required: ['address', 'protocol-port'],
    fields: MEMBER_CREATE_FIELDS,
    place: (member, _options, [poolRef]) => (fleet) => {
      const { model, pool } = fleet.pool(poolRef!);
      pool.members.push(member as unknown as Member);
      return model;
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
});

// --- healthmonitor ------------------------------------------------------------------------

const healthMonitorCommands = commandsFor<{ model: LoadBalancerModel; pool: Pool; monitor: HealthMonitor }>({
  refs: ['HEALTHMONITOR'],
  find: (fleet, [ref]) => fleet.healthMonitor(ref!),
  target: ({ monitor }) => monitor,
  row: ({ pool, monitor }, statuses) => healthMonitorRow(pool, monitor, statuses),
  columns: LIST_COLUMNS.healthmonitor,
  switches: [ADMIN_STATE],
  create: {
    args: ['POOL'],
    required: ['delay', 'max-retries', 'timeout', 'type'],
    fields: [...HEALTHMONITOR_FIELDS, { option: 'type', field: 'type', kind: 'string' }],
    place: (monitor, _options, [poolRef]) => (fleet) => {
      const { model, pool } = fleet.pool(poolRef!);
      if (pool.healthmonitor) throw new CliError(`Pool ${pool.id} already has health monitor ${pool.healthmonitor.id}`);
      pool.healthmonitor = monitor as unknown as HealthMonitor;
      return model;
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
});

const COMMANDS: Record<string, Record<string, Handler>> = {
  loadbalancer: loadBalancerCommands,
  'loadbalancer status': loadBalancerStatusCommands,
  'loadbalancer stats': loadBalancerStatsCommands,
  'listener stats': listenerStatsCommands,
  listener: listenerCommands,
  pool: poolCommands,
  member: memberCommands,
  healthmonitor: healthMonitorCommands,
  trust: trustCommands,
};

/** Every option taking a value, of any command (each command then refuses those it does not use). */
const VALUED_OPTIONS = [
  ...new Set([
    ...CONNECTION_OPTIONS,
    ...[LOADBALANCER_FIELDS, LISTENER_CREATE_FIELDS, POOL_FIELDS, MEMBER_CREATE_FIELDS, HEALTHMONITOR_FIELDS].flat().map((f) => f.option),
    ...['format', 'column', 'vip-address', 'default-pool', 'listener', 'loadbalancer', 'session-persistence', 'protocol', 'type'],
  ]),
];

export interface Invocation {
  action: Action | 'help';
  options: OptionReader;
  output: OutputOptions;
}

/** Reads and checks the whole command line; nothing touches the network yet. */
export function parseInvocation(argv: readonly string[]): Invocation {
  const parsed = parseArgs(argv, [...SWITCH_FLAGS, ...TRUST_FLAGS], VALUED_OPTIONS);
  const options = new OptionReader(parsed.options);
  options.accept(...CONNECTION_OPTIONS);
  const output: OutputOptions = { format: parseFormat(options.string('format')), columns: options.all('column') };
  if (options.flag('help') || parsed.words.length === 0) return { action: 'help', options, output };
  let [resource, verb, ...args] = parsed.words;
  if ((resource === 'loadbalancer' && (verb === 'status' || verb === 'stats')) || (resource === 'listener' && verb === 'stats')) {
    resource = `${resource} ${verb}`;
    [verb, ...args] = args;
  }
  const commands = COMMANDS[resource!];
  if (!commands) throw new CliError(`unknown resource '${resource}' (choose from loadbalancer, listener, pool, member, healthmonitor, trust)`);
  const handler = verb === undefined ? undefined : commands[verb];
  if (!handler) throw new CliError(`unknown command '${resource} ${verb ?? ''}'`.replace(/ '$/, "'") + ` (choose from ${Object.keys(commands).join(', ')})`);
  const action = handler(args, options);
  options.rejectUnknown();
  return { action, options, output };
}

/** Runs one amphoractl command line; output through `print`, failures as CliError. */
export async function execute(argv: readonly string[], print: (text: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const invocation = parseInvocation(argv);
  if (invocation.action === 'help') {
    print(USAGE);
    return;
  }
  const client = new AgentClient(resolveConnection(invocation.options, env));
  await invocation.action(new Session(client, invocation.output, print));
}
