import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveConfig } from '../../agent/config/live-config.ts';
import { parseConfigText } from '../../agent/config/load.ts';
import { pathsFor } from '../../agent/config/paths.ts';
import type { AgentContext } from '../../agent/context.ts';
import { KeyedMutex } from '../../agent/util/keyed-mutex.ts';
import { silentLogger } from '../../agent/util/logger.ts';

export interface LifecycleTestContext {
  context: AgentContext;
  directory: string;
  cleanup(): Promise<void>;
}

/** An AgentContext over a fresh temp folder: base path, cert dir and unit dir inside it. */
export async function lifecycleContext(extra: Record<string, string[]> = {}): Promise<LifecycleTestContext> {
  const directory = await mkdtemp(join(tmpdir(), 'amphora-lifecycle-'));
  const groups: Record<string, string[]> = {
    haproxy_amphora: [`base_path = ${join(directory, 'lib')}`, `base_cert_dir = ${join(directory, 'lib', 'certs')}`],
    amphora_agent: [`systemd_unit_dir = ${join(directory, 'systemd')}`, 'process_manager = direct', 'network_namespace ='],
  };
  for (const [group, lines] of Object.entries(extra)) {
    const names = new Set(lines.map((line) => line.split('=')[0]!.trim()));
    groups[group] = [...(groups[group] ?? []).filter((line) => !names.has(line.split('=')[0]!.trim())), ...lines];
  }
  const ini = Object.entries(groups)
    .map(([group, lines]) => `[${group}]\n${lines.join('\n')}\n`)
    .join('\n');
  const config = new LiveConfig(parseConfigText(ini, 'test.conf'), { files: [], directories: [] });
  await mkdir(join(directory, 'lib', 'certs'), { recursive: true });
  const context: AgentContext = {
    config,
    get paths() {
      return pathsFor(config.current);
    },
    logger: silentLogger,
    locks: new KeyedMutex(),
  };
  return { context, directory, cleanup: () => rm(directory, { recursive: true, force: true }) };
}
