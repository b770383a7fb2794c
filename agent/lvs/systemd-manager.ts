import type { AgentContext } from '../context.ts';
import { KEEPALIVED_COMMAND } from '../daemons/binaries.ts';
import { SystemdDaemon } from '../daemons/systemd-daemon.ts';
import { keepalivedLvsUnitName, renderKeepalivedLvsUnit } from '../daemons/systemd-units.ts';
import type { ProcessOutcome } from '../daemons/types.ts';
import { isPidFileAlive } from '../util/process-state.ts';
import { lvsChildPidPaths, lvsConfigPath, lvsPidPath } from './layout.ts';
import type { LvsProcessManager } from './process-manager.ts';

export interface KeepalivedSystemdOptions {
  /** The systemctl binary (tests put a recording stand-in first on PATH). */
  systemctl?: string;
}

/** The unit text of a listener, from the agent's current configuration. */
export function keepalivedLvsUnitText(context: AgentContext, listenerId: string): string {
  const paths = context.paths;
  const children = lvsChildPidPaths(paths, listenerId);
  return renderKeepalivedLvsUnit({
    keepalivedCommand: KEEPALIVED_COMMAND,
    logFacility: context.config.current.amphora_agent.administrative_log_facility,
    configFile: lvsConfigPath(paths, listenerId),
    pidFile: lvsPidPath(paths, listenerId),
    vrrpPidFile: children.vrrp,
    checkPidFile: children.check,
    namespace: context.config.current.amphora_agent.network_namespace,
  });
}

/** keepalived of an LVS listener run by systemd, as in the image (§3.7.2, §3.8.2, §3.9). */
export class KeepalivedSystemdManager implements LvsProcessManager {
  readonly kind = 'systemd';
  readonly #context: AgentContext;
  readonly #units: SystemdDaemon;

  constructor(context: AgentContext, options: KeepalivedSystemdOptions = {}) {
    this.#context = context;
    this.#units = new SystemdDaemon(context, { unitName: keepalivedLvsUnitName, netnsEnableName: 'amphora-netns' }, options.systemctl);
  }

  prepare(listenerId: string): Promise<ProcessOutcome> {
    return this.#units.prepare(listenerId, keepalivedLvsUnitText(this.#context, listenerId));
  }

  start(listenerId: string): Promise<ProcessOutcome> {
    return this.#action('start', listenerId);
  }

  restart(listenerId: string): Promise<ProcessOutcome> {
    return this.#action('restart', listenerId);
  }

  stop(listenerId: string): Promise<ProcessOutcome> {
    return this.#action('stop', listenerId);
  }

  async #action(verb: string, listenerId: string): Promise<ProcessOutcome> {
    const result = await this.#units.action(verb, listenerId);
    return { ok: result.exitCode === 0, output: result.output };
  }

  /** A unit that cannot be disabled is kept, and the failure reported (the reference's order). */
  async remove(listenerId: string): Promise<ProcessOutcome> {
    const disabled = await this.#action('disable', listenerId);
    if (!disabled.ok) return disabled;
    await this.#units.deleteUnit(listenerId);
    return { ok: true, output: '' };
  }

  isRunning(listenerId: string): Promise<boolean> {
    return isPidFileAlive(lvsPidPath(this.#context.paths, listenerId));
  }

  async adopt(): Promise<void> {
    // systemd supervises; enabled units start at boot by themselves.
  }

  async shutdown(): Promise<void> {}
}
