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

export const USAGE = `usage: amphoractl [--url URL] [--cert PEM] [--cacert PEM] [--server-name NAME] [--state-dir DIR]
                  RESOURCE ACTION [ARGS] [-f table|json|value] [-c COLUMN ...]

  loadbalancer create --name N --vip-address IP [--description D] [--enable|--disable]
  loadbalancer list | show LB | set LB [--name N] [--description D] [--enable|--disable]
  loadbalancer delete LB [--cascade]
  loadbalancer status show LB
  listener create --name N --protocol P --protocol-port PORT [--connection-limit C] [--timeout-* MS] LB
  listener list [--loadbalancer LB] | show L | set L [...] | delete L
  pool create --name N --lb-algorithm A --protocol P (--listener L | --loadbalancer LB)
              [--session-persistence type=T[,cookie_name=C]]
  pool list [--loadbalancer LB] | show P | set P [--name N] [--lb-algorithm A] | delete P
  member create --address IP --protocol-port PORT [--name N] [--weight W] [--enable-backup] POOL
  member list POOL | show POOL M | set POOL M [--weight W] [--enable|--disable] | delete POOL M
  healthmonitor create --delay S --max-retries N --timeout S --type T [--url-path /] [--name N] POOL
  healthmonitor list | show H | set H [...] | delete H

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

// --- loadbalancer -------------------------------------------------------------------------

const loadBalancerCommands: Record<string, Handler> = {
  create: (args, options) => {
    positional(args, []);
    const lb: Record<string, unknown> = { id: randomUUID(), vip: { ip_address: options.required('vip-address') } };
    applyFieldOptions(lb, options, LOADBALANCER_FIELDS);
    applySwitch(lb, options, '', 'admin_state_up');
    return async (session) => {
      const fleet = await session.fleet();
      await session.save(fleet, { loadbalancer: lb } as unknown as LoadBalancerModel);
      const model = (await session.fleet()).loadBalancer(lb.id as string);
      session.show(loadBalancerRow(model, await session.statuses(model)));
    };
  },
  list: (args) => {
    positional(args, []);
    return async (session) => {
      const rows: Row[] = [];
      for (const model of (await session.fleet()).models) rows.push(loadBalancerRow(model, await session.statuses(model)));
      session.list(LIST_COLUMNS.loadbalancer, rows);
    };
  },
  show: (args) => {
    const [ref] = positional(args, ['LB']);
    return async (session) => {
      const model = (await session.fleet()).loadBalancer(ref!);
      session.show(loadBalancerRow(model, await session.statuses(model)));
    };
  },
  set: (args, options) => {
    const [ref] = positional(args, ['LB']);
    const changes = {};
    applyFieldOptions(changes, options, LOADBALANCER_FIELDS);
    applySwitch(changes, options, '', 'admin_state_up');
    return async (session) => {
      await edit(session, (fleet) => {
        const model = fleet.loadBalancer(ref!);
        Object.assign(model.loadbalancer, changes);
        return model;
      });
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

const listenerCommands: Record<string, Handler> = {
  create: (args, options) => {
    const [lbRef] = positional(args, ['LB']);
    const listener: Record<string, unknown> = { id: randomUUID() };
    options.required('protocol');
    options.required('protocol-port');
    applyFieldOptions(listener, options, LISTENER_CREATE_FIELDS);
    applySwitch(listener, options, '', 'admin_state_up');
    const defaultPool = options.string('default-pool');
    return async (session) => {
      const fleet = await edit(session, (current) => {
        const model = current.loadBalancer(lbRef!);
        if (defaultPool !== undefined) listener.default_pool_id = pickPoolIn(current, model, defaultPool).id;
        model.loadbalancer.listeners.push(listener as unknown as Listener);
        return model;
      });
      const found = fleet.listener(listener.id as string);
      session.show(listenerRow(found.model, found.listener, await session.statuses(found.model)));
    };
  },
  list: (args, options) => {
    positional(args, []);
    const lbRef = options.string('loadbalancer');
    return async (session) => {
      const fleet = await session.fleet();
      const models = lbRef === undefined ? fleet.models : [fleet.loadBalancer(lbRef)];
      const rows: Row[] = [];
      for (const model of models) {
        const statuses = await session.statuses(model);
        for (const listener of model.loadbalancer.listeners) rows.push(listenerRow(model, listener, statuses));
      }
      session.list(LIST_COLUMNS.listener, rows);
    };
  },
  show: (args) => {
    const [ref] = positional(args, ['LISTENER']);
    return async (session) => {
      const { model, listener } = (await session.fleet()).listener(ref!);
      session.show(listenerRow(model, listener, await session.statuses(model)));
    };
  },
  set: (args, options) => {
    const [ref] = positional(args, ['LISTENER']);
    const changes: Record<string, unknown> = {};
    applyFieldOptions(changes, options, LISTENER_FIELDS);
    applySwitch(changes, options, '', 'admin_state_up');
    const defaultPool = options.string('default-pool');
    return async (session) => {
      await edit(session, (fleet) => {
        const { model, listener } = fleet.listener(ref!);
        if (defaultPool !== undefined) changes.default_pool_id = pickPoolIn(fleet, model, defaultPool).id;
        Object.assign(listener, changes);
        return model;
      });
    };
  },
  delete: (args) => {
    const [ref] = positional(args, ['LISTENER']);
    return async (session) => {
      await edit(session, (fleet) => {
        const { model, listener } = fleet.listener(ref!);
        model.loadbalancer.listeners = model.loadbalancer.listeners.filter((l) => l.id !== listener.id);
        return model;
      });
    };
  },
};

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

const poolCommands: Record<string, Handler> = {
  create: (args, options) => {
    positional(args, []);
    const pool: Record<string, unknown> = { id: randomUUID(), members: [] };
    options.required('protocol');
    options.required('lb-algorithm');
    applyFieldOptions(pool, options, [...POOL_FIELDS, { option: 'protocol', field: 'protocol', kind: 'string' }]);
    applySwitch(pool, options, '', 'admin_state_up');
    const persistence = sessionPersistence(options.string('session-persistence'));
    if (persistence !== undefined) pool.session_persistence = persistence;
    const listenerRef = options.string('listener');
    const lbRef = options.string('loadbalancer');
    if (listenerRef === undefined && lbRef === undefined) throw new CliError('one of --listener or --loadbalancer is required');
    return async (session) => {
      const fleet = await edit(session, (current) => {
        const model = listenerRef !== undefined ? current.listener(listenerRef).model : current.loadBalancer(lbRef!);
        if (lbRef !== undefined && current.loadBalancer(lbRef).loadbalancer.id !== model.loadbalancer.id) {
          throw new CliError('--listener and --loadbalancer name different load balancers');
        }
        if (listenerRef !== undefined) {
          const { listener } = current.listener(listenerRef);
          if (listener.default_pool_id !== null) throw new CliError(`Listener ${listener.id} already has default pool ${listener.default_pool_id}`);
          listener.default_pool_id = pool.id as string;
        }
        model.loadbalancer.pools.push(pool as unknown as Pool);
        return model;
      });
      const found = fleet.pool(pool.id as string);
      session.show(poolRow(found.model, found.pool, await session.statuses(found.model)));
    };
  },
  list: (args, options) => {
    positional(args, []);
    const lbRef = options.string('loadbalancer');
    return async (session) => {
      const fleet = await session.fleet();
      const models = lbRef === undefined ? fleet.models : [fleet.loadBalancer(lbRef)];
      const rows: Row[] = [];
      for (const model of models) {
        const statuses = await session.statuses(model);
        for (const pool of model.loadbalancer.pools) rows.push(poolRow(model, pool, statuses));
      }
      session.list(LIST_COLUMNS.pool, rows);
    };
  },
  show: (args) => {
    const [ref] = positional(args, ['POOL']);
    return async (session) => {
      const { model, pool } = (await session.fleet()).pool(ref!);
      session.show(poolRow(model, pool, await session.statuses(model)));
    };
  },
  set: (args, options) => {
    const [ref] = positional(args, ['POOL']);
    const changes: Record<string, unknown> = {};
    applyFieldOptions(changes, options, POOL_FIELDS);
    applySwitch(changes, options, '', 'admin_state_up');
    const persistence = sessionPersistence(options.string('session-persistence'));
    if (persistence !== undefined) changes.session_persistence = persistence;
    return async (session) => {
      await edit(session, (fleet) => {
        const { model, pool } = fleet.pool(ref!);
        Object.assign(pool, changes);
        return model;
      });
    };
  },
  delete: (args) => {
    const [ref] = positional(args, ['POOL']);
    return async (session) => {
      // As Octavia: the pool's members and health monitor go with it.
      await edit(session, (fleet) => {
        const { model, pool } = fleet.pool(ref!);
        model.loadbalancer.pools = model.loadbalancer.pools.filter((p) => p.id !== pool.id);
        detachPool(model, pool.id);
        return model;
      });
    };
  },
};

// --- member -------------------------------------------------------------------------------

const memberCommands: Record<string, Handler> = {
  create: (args, options) => {
    const [poolRef] = positional(args, ['POOL']);
    const member: Record<string, unknown> = { id: randomUUID() };
    options.required('address');
    options.required('protocol-port');
    applyFieldOptions(member, options, MEMBER_CREATE_FIELDS);
    applySwitch(member, options, '', 'admin_state_up');
    applySwitch(member, options, '-backup', 'backup');
    return async (session) => {
      const fleet = await edit(session, (current) => {
        const { model, pool } = current.pool(poolRef!);
        pool.members.push(member as unknown as Member);
        return model;
      });
      const { model, pool } = fleet.pool(poolRef!);
      session.show(memberRow(fleet.member(pool, member.id as string), await session.statuses(model)));
    };
  },
  list: (args) => {
    const [poolRef] = positional(args, ['POOL']);
    return async (session) => {
      const { model, pool } = (await session.fleet()).pool(poolRef!);
      const statuses = await session.statuses(model);
      session.list(LIST_COLUMNS.member, pool.members.map((member) => memberRow(member, statuses)));
    };
  },
  show: (args) => {
    const [poolRef, ref] = positional(args, ['POOL', 'MEMBER']);
    return async (session) => {
      const fleet = await session.fleet();
      const { model, pool } = fleet.pool(poolRef!);
      session.show(memberRow(fleet.member(pool, ref!), await session.statuses(model)));
    };
  },
  set: (args, options) => {
    const [poolRef, ref] = positional(args, ['POOL', 'MEMBER']);
    const changes = {};
    applyFieldOptions(changes, options, MEMBER_FIELDS);
    applySwitch(changes, options, '', 'admin_state_up');
    applySwitch(changes, options, '-backup', 'backup');
    return async (session) => {
      await edit(session, (fleet) => {
        const { model, pool } = fleet.pool(poolRef!);
        Object.assign(fleet.member(pool, ref!), changes);
        return model;
      });
    };
  },
  delete: (args) => {
    const [poolRef, ref] = positional(args, ['POOL', 'MEMBER']);
    return async (session) => {
      await edit(session, (fleet) => {
        const { model, pool } = fleet.pool(poolRef!);
        const member = fleet.member(pool, ref!);
        pool.members = pool.members.filter((m) => m.id !== member.id);
        return model;
      });
    };
  },
};

// --- healthmonitor ------------------------------------------------------------------------

const healthMonitorCommands: Record<string, Handler> = {
  create: (args, options) => {
    const [poolRef] = positional(args, ['POOL']);
    const monitor: Record<string, unknown> = { id: randomUUID() };
    for (const name of ['delay', 'max-retries', 'timeout', 'type']) options.required(name);
    applyFieldOptions(monitor, options, [...HEALTHMONITOR_FIELDS, { option: 'type', field: 'type', kind: 'string' }]);
    applySwitch(monitor, options, '', 'admin_state_up');
    return async (session) => {
      const fleet = await edit(session, (current) => {
        const { model, pool } = current.pool(poolRef!);
        if (pool.healthmonitor) throw new CliError(`Pool ${pool.id} already has health monitor ${pool.healthmonitor.id}`);
        pool.healthmonitor = monitor as unknown as HealthMonitor;
        return model;
      });
      const found = fleet.healthMonitor(monitor.id as string);
      session.show(healthMonitorRow(found.pool, found.monitor, await session.statuses(found.model)));
    };
  },
  list: (args) => {
    positional(args, []);
    return async (session) => {
      const rows: Row[] = [];
      for (const model of (await session.fleet()).models) {
        const statuses = await session.statuses(model);
        for (const pool of model.loadbalancer.pools) if (pool.healthmonitor) rows.push(healthMonitorRow(pool, pool.healthmonitor, statuses));
      }
      session.list(LIST_COLUMNS.healthmonitor, rows);
    };
  },
  show: (args) => {
    const [ref] = positional(args, ['HEALTHMONITOR']);
    return async (session) => {
      const { model, pool, monitor } = (await session.fleet()).healthMonitor(ref!);
      session.show(healthMonitorRow(pool, monitor, await session.statuses(model)));
    };
  },
  set: (args, options) => {
    const [ref] = positional(args, ['HEALTHMONITOR']);
    const changes = {};
    applyFieldOptions(changes, options, HEALTHMONITOR_FIELDS);
    applySwitch(changes, options, '', 'admin_state_up');
    return async (session) => {
      await edit(session, (fleet) => {
        const { model, monitor } = fleet.healthMonitor(ref!);
        Object.assign(monitor, changes);
        return model;
      });
    };
  },
  delete: (args) => {
    const [ref] = positional(args, ['HEALTHMONITOR']);
    return async (session) => {
      await edit(session, (fleet) => {
        const { model, pool } = fleet.healthMonitor(ref!);
        pool.healthmonitor = null;
        return model;
      });
    };
  },
};

const COMMANDS: Record<string, Record<string, Handler>> = {
  loadbalancer: loadBalancerCommands,
  'loadbalancer status': loadBalancerStatusCommands,
  listener: listenerCommands,
  pool: poolCommands,
  member: memberCommands,
  healthmonitor: healthMonitorCommands,
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
  const parsed = parseArgs(argv, SWITCH_FLAGS, VALUED_OPTIONS);
  const options = new OptionReader(parsed.options);
  options.accept(...CONNECTION_OPTIONS);
  const output: OutputOptions = { format: parseFormat(options.string('format')), columns: options.all('column') };
  if (options.flag('help') || parsed.words.length === 0) return { action: 'help', options, output };
  let [resource, verb, ...args] = parsed.words;
  if (resource === 'loadbalancer' && verb === 'status') {
    resource = 'loadbalancer status';
    [verb, ...args] = args;
  }
  const commands = COMMANDS[resource!];
  if (!commands) throw new CliError(`unknown resource '${resource}' (choose from loadbalancer, listener, pool, member, healthmonitor)`);
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
