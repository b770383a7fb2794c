import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';

/**
 * The two amphora-wide gauges Octavia's proxy puts before the haproxy metrics: CPU load
 * (1-minute load average per logical CPU, as a percentage; it can exceed 100) and memory in
 * use (what psutil calls `virtual_memory().percent`).
 */
export interface HostUsage {
  cpuPercent: number;
  memoryPercent: number;
}

/**
 * One digit after the point as Python's `f"{x:.1f}"` prints it: the exact binary value rounded
 * half to even. `toFixed` rounds exact ties up; ties only happen for odd multiples of 0.25.
 */
export function formatOneDecimal(value: number): string {
  if (Number.isFinite(value) && Number.isInteger(value * 4) && !Number.isInteger(value * 2)) {
    const below = Math.floor(value * 10);
    const even = below % 2 === 0 ? below : below + 1;
    return (even / 10).toFixed(1);
  }
  return value.toFixed(1);
}

/** (MemTotal - MemAvailable) / MemTotal in percent, with psutil's fallbacks, from /proc/meminfo text. */
export function memoryPercentFromMeminfo(meminfo: string): number {
  const fields = new Map<string, number>();
  for (const line of meminfo.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)/u.exec(line);
    if (match) fields.set(match[1]!, Number(match[2]));
  }
  const total = fields.get('MemTotal') ?? 0;
  if (total === 0) return 0;
  const free = fields.get('MemFree') ?? 0;
  // Kernels before 3.14 lack MemAvailable: free plus reclaimable caches is the usual estimate.
  let available = fields.get('MemAvailable') ?? free + (fields.get('Buffers') ?? 0) + (fields.get('Cached') ?? 0);
  if (available < 0) available = 0;
  // Containers can report more available than total; psutil then falls back to MemFree.
  if (available > total) available = free;
  return ((total - available) / total) * 100;
}

export async function readHostUsage(): Promise<HostUsage> {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const cpuCount = Math.max(cpus().length, 1);
  return { cpuPercent: (loadavg()[0]! / cpuCount) * 100, memoryPercent: memoryPercentFromMeminfo(meminfo) };
}

/** The six lines that open every answer, in Octavia's order and words. */
export function hostUsageLines(usage: HostUsage): string {
  return (
    '# HELP octavia_loadbalancer_cpu Load balancer CPU utilization (percentage).\n' +
    '# TYPE octavia_loadbalancer_cpu gauge\n' +
    `octavia_loadbalancer_cpu ${formatOneDecimal(usage.cpuPercent)}\n` +
    '# HELP octavia_loadbalancer_memory Load balancer memory utilization (percentage).\n' +
    '# TYPE octavia_loadbalancer_memory gauge\n' +
    `octavia_loadbalancer_memory ${formatOneDecimal(usage.memoryPercent)}\n`
  );
}
