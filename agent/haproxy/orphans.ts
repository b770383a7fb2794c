import { access, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { isProcessAlive } from '../util/process-state.ts';
import type { Logger } from '../util/logger.ts';
import { exitsBy, signal } from '../util/process-state.ts';

const STOP_GRACE_MS = 5_000;

interface HaproxyProcess {
  pid: number;
  config: string;
}

/** haproxy processes (masters and workers share a command line) reading an LB config under base_path. */
async function haproxyProcessesUnder(paths: AgentPaths): Promise<HaproxyProcess[]> {
  const found: HaproxyProcess[] = [];
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((name) => /^\d+$/u.test(name))
      .map(async (name) => {
        const args = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0');
        if (basename(args[0] ?? '') !== 'haproxy') return;
        for (let index = 0; index < args.length - 1; index += 1) {
          const config = args[index + 1]!;
          if (args[index] !== '-f' || basename(config) !== 'haproxy.cfg' || dirname(dirname(config)) !== resolve(paths.basePath)) continue;
          const pid = Number(name);
          if (await isProcessAlive(pid)) found.push({ pid, config });
          return;
        }
      }),
  );
  return found;
}

/**
 * Stops every haproxy whose configuration the agent no longer has (or, with `lbId`, every
 * haproxy of that deleted LB): a start racing a delete, or a crash between the two, must not
 * leave a haproxy holding the listener's port that nothing knows about.
 */
export async function stopOrphanedHaproxy(paths: AgentPaths, logger: Logger, lbId?: string): Promise<number[]> {
  const candidates = (await haproxyProcessesUnder(paths)).filter((process) =>
    lbId === undefined ? true : process.config === join(paths.lbDir(lbId), 'haproxy.cfg'),
  );
  const orphans: number[] = [];
  for (const candidate of candidates) {
    const known = await access(candidate.config).then(
      () => true,
      () => false,
    );
    if (!known) orphans.push(candidate.pid);
  }
  if (orphans.length === 0) return [];
  logger.warn({ pids: orphans, lbId }, 'stopping haproxy processes whose load balancer no longer exists');
  for (const pid of orphans) signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  for (const pid of orphans) {
    if (!(await exitsBy(pid, deadline))) signal(pid, 'SIGKILL');
  }
  return orphans;
}
