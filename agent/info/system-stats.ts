import { readFile, statfs } from 'node:fs/promises';
import { cpus } from 'node:os';

/** Fields of /1.0/details read from /proc, with the reference's types (some are strings). */
export interface CpuStats {
  total: number;
  user: string;
  system: string;
  soft_irq: string;
}

export interface MemoryStats {
  total: number;
  free: number;
  buffers: number;
  cached: number;
  swap_used: number;
  shared: number;
  slab: number;
}

export async function readCpuStats(procStat = '/proc/stat'): Promise<CpuStats> {
  const firstLine = (await readFile(procStat, 'utf8')).split('\n', 1)[0] ?? '';
  const fields = firstLine.trim().split(/\s+/u).slice(1);
  const total = fields.reduce((sum, field) => sum + Number(field), 0);
  return { total, user: fields[0] ?? '0', system: fields[2] ?? '0', soft_irq: fields[6] ?? '0' };
}

export async function readMemoryStats(procMeminfo = '/proc/meminfo'): Promise<MemoryStats> {
  const values = new Map<string, number>();
  for (const line of (await readFile(procMeminfo, 'utf8')).split('\n')) {
    const match = /^(\w+):\s+(\d+)/u.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  const kb = (name: string) => values.get(name) ?? 0;
  return {
    total: kb('MemTotal'),
    free: kb('MemFree'),
    buffers: kb('Buffers'),
    cached: kb('Cached'),
    swap_used: kb('SwapCached'), // the reference reports SwapCached under this name
    shared: kb('Shmem'),
    slab: kb('Slab'),
  };
}

export async function readLoadAverage(procLoadavg = '/proc/loadavg'): Promise<string[]> {
  return (await readFile(procLoadavg, 'utf8')).trim().split(/\s+/u).slice(0, 3);
}

export async function readDiskUsage(path = '/'): Promise<{ used: number; available: number }> {
  const stats = await statfs(path);
  return { used: (stats.blocks - stats.bfree) * stats.bsize, available: stats.bavail * stats.bsize };
}

export async function readTunedProfiles(path = '/etc/tuned/active_profile'): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.slice(0, 1024).trim();
}

/**
 * Every CPU of the machine, as Python's os.cpu_count(): not the ones this process may run on.
 * Pinned images run the agent on CPU 0 only, and the controller must still see all of them
 * to render haproxy's nbthread and cpu-map.
 */
export function cpuCount(): number {
  return cpus().length;
}
