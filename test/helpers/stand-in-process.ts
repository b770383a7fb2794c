import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A live process whose command line carries `args` the way a real daemon's does (for example
 * `haproxy -f <B>/<lb>/haproxy.cfg`), for tests where the daemon itself cannot or need not
 * run: the agent trusts a pid file only when the process behind it names the right config.
 */
export function startStandIn(...args: string[]): ChildProcess {
  // `; true` keeps the shell from exec'ing sleep, so the command line stays as given.
  return spawn('sh', ['-c', 'sleep 300; true', ...args], { stdio: 'ignore' });
}
