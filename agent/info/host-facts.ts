import type { MemInfo, RenderContext } from '../render/context.ts';
import { cpuCount, readTunedProfiles } from './system-stats.ts';
import { nodeFs } from '../util/builtins.ts';

const { readFileSync } = nodeFs;

/**
 * Facts of this machine the agent's own renderings size haproxy by (the controller sends the
 * same facts from /details): read here so that the renderers stay pure functions.
 */
export async function readHostFacts(): Promise<Pick<RenderContext, 'cpuCount' | 'activeTunedProfiles' | 'meminfo' | 'maxOpenFiles'>> {
  return {
    cpuCount: cpuCount(),
    activeTunedProfiles: await readTunedProfiles(),
    meminfo: readMeminfo(),
    maxOpenFiles: readOpenFileHardLimit(),
  };
}

/** The hard open-file limit of this process (what haproxy, as our child, can raise to). */
export function readOpenFileHardLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const hard = line?.trim().split(/\s+/)[4];
  if (hard === undefined || hard === 'unlimited') return null;
  const value = Number(hard);
  return Number.isInteger(value) && value > 0 ? value : null;
}

export function readMeminfo(text?: string): MemInfo | null {
  let content = text;
  if (content === undefined) {
    try {
      content = readFileSync('/proc/meminfo', 'utf8');
    } catch {
      return null;
    }
  }
  const value = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(content);
    return match?.[1] ? Number(match[1]) : null;
  };
  const free = value('MemFree');
  const buffers = value('Buffers');
  const cached = value('Cached');
  return free === null || buffers === null || cached === null ? null : { MemFree: free, Buffers: buffers, Cached: cached };
}
