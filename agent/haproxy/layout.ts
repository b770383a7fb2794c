import { readdir, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { readFile } from 'node:fs/promises';
import { isProcessAlive, readPidFile } from '../util/process-state.ts';

/** Load balancers on disk: every entry of base_path holding a haproxy.cfg (reference §4.1). */
export async function listLoadBalancers(paths: AgentPaths): Promise<string[]> {
  const entries = await readdir(paths.basePath, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  await Promise.all(
    entries
      .filter((entry) => entry.isDirectory())
      .map(async (entry) => {
        if (await exists(join(paths.basePath, entry.name, 'haproxy.cfg'))) found.push(entry.name);
      }),
  );
  return found.sort();
}

export async function loadBalancerExists(paths: AgentPaths, lbId: string): Promise<boolean> {
  return exists(paths.haproxyConfig(lbId));
}

/**
 * The pid of this LB's live haproxy master, or undefined. The pid file alone can lie: after a
 * reboot its number may belong to any process, so the command line must name this LB's config
 * (both process managers start haproxy with `-f <B>/<lb>/haproxy.cfg`).
 */
export async function haproxyMasterPid(paths: AgentPaths, lbId: string): Promise<number | undefined> {
  const pid = await readPidFile(paths.haproxyPidFile(lbId));
  if (pid === undefined || !(await isProcessAlive(pid))) return undefined;
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return commandLine.split('\0').includes(paths.haproxyConfig(lbId)) ? pid : undefined;
}

export async function isHaproxyRunning(paths: AgentPaths, lbId: string): Promise<boolean> {
  return (await haproxyMasterPid(paths, lbId)) !== undefined;
}

const LVS_CONFIG = /^octavia-keepalivedlvs-([^.]+)\.conf$/u;

/** UDP/SCTP listeners on disk: B/lvs/octavia-keepalivedlvs-<id>.conf. */
export async function listLvsListeners(paths: AgentPaths): Promise<string[]> {
  const names = await readdir(paths.lvsDir).catch(() => [] as string[]);
  return names
    .map((name) => LVS_CONFIG.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort();
}

export function lvsConfigPath(paths: AgentPaths, listenerId: string): string {
  return join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.conf`);
}

export function lvsPidPath(paths: AgentPaths, listenerId: string): string {
  return join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.pid`);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** keepalived's `-r` (VRRP child) and `-c` (checker child) pid files of an LVS listener. */
export function lvsChildPidPaths(paths: AgentPaths, listenerId: string): { vrrp: string; check: string } {
  return {
    vrrp: join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.vrrp.pid`),
    check: join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.check.pid`),
  };
}

export async function lvsListenerExists(paths: AgentPaths, listenerId: string): Promise<boolean> {
  return exists(lvsConfigPath(paths, listenerId));
}
