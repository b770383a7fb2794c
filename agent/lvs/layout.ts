import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { fileExists } from '../util/atomic-file.ts';

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

/** keepalived's `-r` (VRRP child) and `-c` (checker child) pid files of an LVS listener. */
export function lvsChildPidPaths(paths: AgentPaths, listenerId: string): { vrrp: string; check: string } {
  return {
    vrrp: join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.vrrp.pid`),
    check: join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.check.pid`),
  };
}

export async function lvsListenerExists(paths: AgentPaths, listenerId: string): Promise<boolean> {
  return fileExists(lvsConfigPath(paths, listenerId));
}
