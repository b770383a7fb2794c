import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { fileExists } from '../util/atomic-file.ts';
import { verifiedPid } from '../util/process-state.ts';

/** Load balancers on disk: every entry of base_path holding a haproxy.cfg (reference §4.1). */
export async function listLoadBalancers(paths: AgentPaths): Promise<string[]> {
  const entries = await readdir(paths.basePath, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  await Promise.all(
    entries
      .filter((entry) => entry.isDirectory())
      .map(async (entry) => {
        if (await fileExists(join(paths.basePath, entry.name, 'haproxy.cfg'))) found.push(entry.name);
      }),
  );
  return found.sort();
}

export async function loadBalancerExists(paths: AgentPaths, lbId: string): Promise<boolean> {
  return fileExists(paths.haproxyConfig(lbId));
}

/**
 * The pid of this LB's live haproxy master, or undefined: both process managers start haproxy
 * with `-f <B>/<lb>/haproxy.cfg`, which the live process's command line must carry.
 */
export function haproxyMasterPid(paths: AgentPaths, lbId: string): Promise<number | undefined> {
  return verifiedPid(paths.haproxyPidFile(lbId), paths.haproxyConfig(lbId));
}

export async function isHaproxyRunning(paths: AgentPaths, lbId: string): Promise<boolean> {
  return (await haproxyMasterPid(paths, lbId)) !== undefined;
}
