import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseIni, type RawSections } from './ini.ts';
import { OPTION_TABLE, type AgentConfig, type GroupName } from './options.ts';
import { OptionValueError, type OptionSpec } from './option-types.ts';
import { AgentError, errorMessage } from '../util/errors.ts';
import { nodeFs } from '../util/builtins.ts';

const { readFileSync, readdirSync, existsSync, statSync } = nodeFs;

export class ConfigError extends AgentError {
  constructor(message: string) {
    super(message);
  }
}

export interface ConfigSources {
  files: string[];
  directories: string[];
}

/** oslo.config's default search for project `octavia`, program `amphora-agent`. */
export function defaultConfigSources(home = homedir()): ConfigSources {
  const folders = [join(home, '.octavia'), home, '/etc/octavia', '/etc'];
  const firstExisting = (name: string, predicate: (path: string) => boolean) =>
    folders.map((folder) => join(folder, name)).find(predicate);
  const isFile = (path: string) => existsSync(path) && statSync(path).isFile();
  const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();
  const files = [firstExisting('octavia.conf', isFile), firstExisting('amphora-agent.conf', isFile)];
  const directories = [firstExisting('octavia.conf.d', isDirectory), firstExisting('amphora-agent.conf.d', isDirectory)];
  return {
    files: files.filter((path): path is string => path !== undefined),
    directories: directories.filter((path): path is string => path !== undefined),
  };
}

/** Reads files then `*.conf` of each directory (sorted), later values winning. */
export function readSources(sources: ConfigSources): RawSections {
  const raw: RawSections = new Map();
  for (const file of sources.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}: ${errorMessage(error)}`);
    }
    parseIni(text, file, raw);
  }
  for (const directory of sources.directories) {
    const names = readdirSync(directory).filter((name) => name.endsWith('.conf')).sort();
    for (const name of names) parseIni(readFileSync(join(directory, name), 'utf8'), join(directory, name), raw);
  }
  return raw;
}

export function parseConfigText(text: string, source: string): AgentConfig {
  return buildConfig(parseIni(text, source));
}

/** Converts raw strings to the typed configuration; a bad value names group, option and value. */
export function buildConfig(raw: RawSections): AgentConfig {
  const config: Record<string, Record<string, unknown>> = {};
  const expanded = new Map<string, string>();
  for (const [group, options] of Object.entries(OPTION_TABLE)) {
    const values: Record<string, unknown> = {};
    for (const [name, option] of Object.entries(options) as [string, OptionSpec<unknown>][]) {
      const rawValue = lookupRaw(raw, group, name);
      if (rawValue === undefined) {
        values[name] = cloneDefault(option.defaultValue);
        continue;
      }
      const text = interpolate(raw, group, rawValue, new Set([`${group}.${name}`]), expanded);
      try {
        values[name] = option.convert(text);
      } catch (error) {
        if (!(error instanceof OptionValueError)) throw error;
        // A value built from a secret by interpolation is as secret as its source.
        const shown = option.secret || containsSecret(raw, text) ? '<secret>' : JSON.stringify(text);
        throw new ConfigError(`invalid value for [${group}] ${name} = ${shown}: ${error.message}`);
      }
    }
    config[group] = values;
  }
  return config as AgentConfig;
}

/** True when `text` contains the raw value of a secret option (heartbeat keys). */
export function containsSecret(raw: RawSections, text: string): boolean {
  for (const [group, options] of Object.entries(OPTION_TABLE)) {
    for (const [name, option] of Object.entries(options) as [string, OptionSpec<unknown>][]) {
      const value = option.secret ? lookupRaw(raw, group, name) : undefined;
      if (value !== undefined && value.length >= 3 && text.includes(value)) return true;
    }
  }
  return false;
}

function cloneDefault(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}

function lookupRaw(raw: RawSections, group: string, name: string): string | undefined {
  const values = raw.get(group)?.get(name);
  return values?.[values.length - 1];
}

/** Bounds on `$option` interpolation: a small file must not expand without end (nested references). */
const MAX_INTERPOLATION_DEPTH = 16;
const MAX_EXPANDED_LENGTH = 64 * 1024;

/**
 * `$name`, `${name}`, `${group.name}`, and `$$` / `\$` for a literal dollar. Each option is
 * expanded once (`expanded` remembers it), so fan-out costs nothing; depth and length are bounded.
 */
function interpolate(raw: RawSections, group: string, value: string, seen: Set<string>, expanded: Map<string, string>): string {
  if (!value.includes('$')) return value;
  if (seen.size > MAX_INTERPOLATION_DEPTH) throw new ConfigError(`[${group}] nests option references more than ${MAX_INTERPOLATION_DEPTH} deep`);
  let length = 0;
  const result = value.replace(/\\\$|\$\$|\$\{([A-Za-z0-9_.]+)\}|\$([A-Za-z0-9_]+)/gu, (match, braced?: string, bare?: string) => {
    if (match === '$$' || match === '\\$') return '$';
    const reference = (braced ?? bare) as string;
    const [refGroup, refName] = reference.includes('.')
      ? [reference.slice(0, reference.indexOf('.')), reference.slice(reference.indexOf('.') + 1)]
      : [group, reference];
    const key = `${refGroup}.${refName}`;
    if (seen.has(key)) throw new ConfigError(`circular reference to ${key} in [${group}]`);
    let text = expanded.get(key);
    if (text === undefined) {
      const found = lookupRaw(raw, refGroup, refName) ?? (refGroup === group ? lookupRaw(raw, 'DEFAULT', refName) : undefined);
      const fromTable = (OPTION_TABLE as Record<string, Record<string, OptionSpec<unknown>>>)[refGroup]?.[refName];
      if (found === undefined) {
        if (!fromTable) throw new ConfigError(`[${group}] refers to unknown option ${reference}`);
        const fallback = fromTable.defaultValue;
        text = fallback === undefined ? '' : String(fallback);
      } else {
        text = interpolate(raw, refGroup, found, new Set([...seen, key]), expanded);
      }
      expanded.set(key, text);
    }
    length += text.length;
    if (length > MAX_EXPANDED_LENGTH) throw new ConfigError(`[${group}] expands to more than ${MAX_EXPANDED_LENGTH} characters`);
    return text;
  });
  return result;
}

/** Groups and options whose value differs between two configurations. */
export function changedOptions(before: AgentConfig, after: AgentConfig): { group: GroupName; name: string }[] {
  const changes: { group: GroupName; name: string }[] = [];
  for (const group of Object.keys(OPTION_TABLE) as GroupName[]) {
    const left = before[group] as Record<string, unknown>;
    const right = after[group] as Record<string, unknown>;
    for (const name of Object.keys(OPTION_TABLE[group])) {
      if (JSON.stringify(left[name]) !== JSON.stringify(right[name])) changes.push({ group, name });
    }
  }
  return changes;
}
