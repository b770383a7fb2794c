import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../agent/config/load.ts';
import type { AgentConfig } from '../../agent/config/options.ts';

/** A configuration for heartbeat tests: defaults plus the given `[group] option = value` texts. */
export function heartbeatConfig(options: Record<string, Record<string, string>>): AgentConfig {
  const raw = new Map<string, Map<string, string[]>>();
  for (const [group, values] of Object.entries(options)) {
    raw.set(group, new Map(Object.entries(values).map(([name, value]) => [name, [value]])));
  }
  return buildConfig(raw);
}

export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
