import { CliError } from './errors.ts';
import type { Row } from './output.ts';
import type { Session } from './commands.ts';

/**
 * `loadbalancer stats show LB` and `listener stats show LISTENER`: the five figures the
 * openstack client prints, from the agent's listener statistics (the counters the heartbeat
 * reports), the load balancer's being the sum over its listeners.
 */

const FIELDS = ['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections'] as const;

interface StatsAnswer {
  loadbalancer: Record<(typeof FIELDS)[number], number>;
  listeners: Record<string, Record<(typeof FIELDS)[number], number>>;
}

function row(stats: Record<(typeof FIELDS)[number], number> | undefined): Row {
  return Object.fromEntries(FIELDS.map((field) => [field, stats?.[field] ?? 0]));
}

function single(args: string[], name: string): string {
  if (args.length !== 1) throw new CliError(args.length === 0 ? `the following arguments are required: ${name}` : `unrecognized arguments: ${args.slice(1).join(' ')}`);
  return args[0]!;
}

export const loadBalancerStatsCommands = {
  show: (args: string[]) => {
    const ref = single(args, 'LB');
    return async (session: Session) => {
      const model = (await session.fleet()).loadBalancer(ref);
      const answer = (await session.client.stats(model.loadbalancer.id)) as StatsAnswer;
      session.show(row(answer.loadbalancer));
    };
  },
};

export const listenerStatsCommands = {
  show: (args: string[]) => {
    const ref = single(args, 'LISTENER');
    return async (session: Session) => {
      const { model, listener } = (await session.fleet()).listener(ref);
      const answer = (await session.client.stats(model.loadbalancer.id).catch(() => undefined)) as StatsAnswer | undefined;
      // A listener whose daemon is not running has no counters: zeros, as Octavia shows a new one.
      session.show(row(answer?.listeners[listener.id]));
    };
  },
};
