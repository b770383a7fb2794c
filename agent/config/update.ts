import { join } from 'node:path';
import { parseIni, type RawSections } from './ini.ts';
import { buildConfig, ConfigError } from './load.ts';
import type { ConfigChange, LiveConfig } from './live-config.ts';
import { OPTION_TABLE } from './options.ts';
import type { OptionSpec } from './option-types.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { Logger } from '../util/logger.ts';
import type { AgentConfig } from './options.ts';
import { AgentError } from '../util/errors.ts';
import { nodeFs } from '../util/builtins.ts';

const { readFileSync, readdirSync } = nodeFs;

/** A configuration that parses but must not replace the running one (a 400, not a 500). */
export class ConfigRefusal extends AgentError {
  constructor(message: string) {
    super(message);
  }
}

/** Invalid UTF-8 would be replaced silently, changing a key without a word: it is refused. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigRefusal('the configuration is not valid UTF-8');
  }
}

/** The start-up checks beyond option parsing (agent/admin/startup-checks.ts). */
export type StartupCheck = (config: AgentConfig) => Promise<void>;

/**
 * Heartbeats stop without a destination or a key, and the control plane then fails the
 * amphora over: an upload (an empty body among them) may not drop what the running one has.
 */
function refuseLosingHeartbeats(before: AgentConfig, next: AgentConfig): void {
  if (before.health_manager.controller_ip_port_list.length > 0 && next.health_manager.controller_ip_port_list.length === 0) {
    throw new ConfigRefusal('[health_manager] controller_ip_port_list is missing or empty: heartbeats would stop');
  }
  if (before.health_manager.heartbeat_key !== 'None' && next.health_manager.heartbeat_key === 'None') {
    throw new ConfigRefusal('[health_manager] heartbeat_key is missing: heartbeats would stop');
  }
}

/**
 * Replaces the controller-owned config file and applies what may change live. The new text is
 * parsed and validated together with the other files (local overrides) before anything is
 * written, so a bad upload leaves the running agent and the file on disk as they were.
 */
export async function updateAgentConfigFile(
  live: LiveConfig,
  upload: string | Uint8Array,
  logger: Logger,
  checkStartable: StartupCheck,
): Promise<ConfigChange[]> {
  const text = typeof upload === 'string' ? upload : decodeUtf8(upload);
  const target = live.writableFile;
  if (!target) throw new ConfigError('the agent was started without a configuration file to update');
  const raw: RawSections = parseIni(text, target);
  for (const file of live.sources.files.slice(1)) parseIni(readFileSync(file, 'utf8'), file, raw);
  for (const directory of live.sources.directories) {
    for (const name of readdirSync(directory).filter((entry) => entry.endsWith('.conf')).sort()) {
      parseIni(readFileSync(join(directory, name), 'utf8'), join(directory, name), raw);
    }
  }
  const next = buildConfig(raw);
  const before = live.current;
  refuseLosingHeartbeats(before, next);
  await checkStartable(next);
  await writeFileAtomic(target, text, { mode: 0o600 });
  const changes = live.apply(next);
  for (const change of changes) {
    const option = (OPTION_TABLE[change.group] as Record<string, OptionSpec<unknown>>)[change.name];
    const secrets = [before.health_manager.heartbeat_key, before.health_manager.heartbeat_key_next, next.health_manager.heartbeat_key, next.health_manager.heartbeat_key_next]
      .filter((secret): secret is string => typeof secret === 'string' && secret.length >= 3 && secret !== 'None');
    // An option interpolating a key carries it: such a value is redacted like the key itself.
    const show = (value: unknown) => {
      const text = String(JSON.stringify(value));
      return option?.secret || secrets.some((secret) => text.includes(secret)) ? '[redacted]' : text;
    };
    if (change.applied) {
      const old = (before[change.group] as Record<string, unknown>)[change.name];
      const now = (live.current[change.group] as Record<string, unknown>)[change.name];
      logger.info(`Option ${change.group}.${change.name} changed from [${show(old)}] to [${show(now)}]`);
    } else {
      logger.warn(`Ignoring change to immutable option ${change.group}.${change.name}`);
    }
  }
  return changes;
}
