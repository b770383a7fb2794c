import type { AgentContext } from '../context.ts';
import type { ProcessManagerKind } from './types.ts';
import { nodeFs } from '../util/builtins.ts';

const { existsSync } = nodeFs;

/**
 * `[amphora_agent] process_manager`, for every daemon of the amphora: `auto` is systemd when
 * systemd runs the host (its runtime directory exists), else the agent's own supervision.
 */
function processManagerKind(context: AgentContext): ProcessManagerKind {
  const choice = context.config.current.amphora_agent.process_manager;
  if (choice === 'systemd' || choice === 'direct') return choice;
  return existsSync('/run/systemd/system') ? 'systemd' : 'direct';
}

/** The implementation of a daemon's runner for the process manager the host uses. */
export function forProcessManager<T>(context: AgentContext, build: { systemd: () => T; direct: () => T }): T {
  return build[processManagerKind(context)]();
}
