import { positional, type CommandSet } from '../command-engine.ts';
import type { Row } from '../output.ts';

/**
 * `loadbalancer stats show LB` and `listener stats show LISTENER`: the five figures the
 * openstack client prints, from the agent's listener statistics (the counters the heartbeat
 * reports, `GET /1.0/loadbalancer/{lb}/stats`), the load balancer's being the sum over its
 * listeners.
 */

const FIELDS = ['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections'] as const;
type Figures = Record<(typeof FIELDS)[number], number>;

interface StatsAnswer {
  loadbalancer: Figures;
  listeners: Record<string, Figures>;
}

function row(figures: Figures | undefined): Row {
  return Object.fromEntries(FIELDS.map((field) => [field, figures?.[field] ?? 0]));
}

export const loadBalancerStatsCommands: CommandSet = {
  name: 'loadbalancer stats',
  usage: `  loadbalancer stats show LB
`,
  commands: {
    show: (args) => {
      const [ref] = positional(args, ['LB']);
      return async (session) => {
        const model = (await session.fleet()).loadBalancer(ref!);
        const answer = (await session.client.stats(model.loadbalancer.id)) as StatsAnswer;
        session.show(row(answer.loadbalancer));
      };
    },
  },
};

export const listenerStatsCommands: CommandSet = {
  name: 'listener stats',
  usage: `  listener stats show LISTENER
`,
  commands: {
    show: (args) => {
      const [ref] = positional(args, ['LISTENER']);
      return async (session) => {
        const { model, listener } = (await session.fleet()).listener(ref!);
        // A listener whose daemon is not running has no counters: zeros, as Octavia shows a new one.
        const answer = (await session.client.stats(model.loadbalancer.id).catch(() => undefined)) as StatsAnswer | undefined;
        session.show(row(answer?.listeners[listener.id]));
      };
    },
  },
};
