import type { CommandSet } from './command-engine.ts';
import { healthMonitorCommands } from './resources/healthmonitor.ts';
import { listenerCommands } from './resources/listener.ts';
import { loadBalancerCommands, loadBalancerStatusCommands } from './resources/loadbalancer.ts';
import { memberCommands } from './resources/member.ts';
import { poolCommands } from './resources/pool.ts';
import { trustCommands } from './resources/trust.ts';
import { listenerStatsCommands, loadBalancerStatsCommands } from './resources/stats.ts';

/**
 * Every resource amphoractl knows, in the order of the usage text. A new resource is a file in
 * resources/ exporting a CommandSet, and one line here; a new command of an existing resource
 * is one entry in that file's `commands`.
 */
export const COMMAND_SETS: readonly CommandSet[] = [
  loadBalancerCommands,
  loadBalancerStatusCommands,
  loadBalancerStatsCommands,
  listenerCommands,
  listenerStatsCommands,
  poolCommands,
  memberCommands,
  healthMonitorCommands,
  trustCommands,
];
