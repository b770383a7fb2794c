import { EventEmitter } from 'node:events';
import { OPTION_TABLE, type AgentConfig, type GroupName } from './options.ts';
import { changedOptions, type ConfigSources } from './load.ts';
import type { OptionSpec } from './option-types.ts';

export interface ConfigChange {
  group: GroupName;
  name: string;
  applied: boolean;
}

/**
 * The running configuration. Mutable options (the reference's list plus the heartbeat
 * extensions) change in place; immutable ones keep their start-up value until a restart.
 * Subscribers (the heartbeat sender, the logger) are told after each update.
 */
export class LiveConfig extends EventEmitter<{ change: [AgentConfig, ConfigChange[]] }> {
  #current: AgentConfig;
  readonly sources: ConfigSources;

  constructor(initial: AgentConfig, sources: ConfigSources) {
    super();
    this.#current = initial;
    this.sources = sources;
  }

  get current(): AgentConfig {
    return this.#current;
  }

  /** The controller-owned file that PUT /1.0/config replaces: the first one loaded. */
  get writableFile(): string | undefined {
    return this.sources.files[0];
  }

  apply(next: AgentConfig): ConfigChange[] {
    const changes = changedOptions(this.#current, next).map(({ group, name }) => ({
      group,
      name,
      applied: (OPTION_TABLE[group] as Record<string, OptionSpec<unknown>>)[name]?.mutable ?? false,
    }));
    const merged = structuredClone(this.#current) as Record<string, Record<string, unknown>>;
    for (const change of changes) {
      if (change.applied) merged[change.group]![change.name] = (next[change.group] as Record<string, unknown>)[change.name];
    }
    this.#current = merged as AgentConfig;
    this.emit('change', this.#current, changes);
    return changes;
  }
}
