import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { lvsChildPidPaths, lvsConfigPath, lvsPidPath } from '../haproxy/layout.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { isPidFileAlive } from '../util/process-state.ts';
import { runCommand } from '../util/run-command.ts';
import { ensureNetnsUnit } from './systemd.ts';
import { keepalivedLvsUnitName, renderKeepalivedLvsUnit } from './systemd-units.ts';
import type { LvsProcessManager, ProcessOutcome } from './types.ts';

/** The reference's keepalived path (`KEEPALIVED_CMD`); not configurable there either. */
export const KEEPALIVED_COMMAND = '/usr/sbin/keepalived';

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
  readonly #systemctl: string;

  constructor(context: AgentContext, options: KeepalivedSystemdOptions = {}) {
    this.#context = context;
    this.#systemctl = options.systemctl ?? 'systemctl';
  }

  #run(...args: string[]) {
    return runCommand(this.#systemctl, args, { timeoutMs: 45_000 });
  }

  #unitPath(listenerId: string): string {
    return join(this.#context.paths.systemdDir, keepalivedLvsUnitName(listenerId));
  }

  async prepare(listenerId: string): Promise<ProcessOutcome> {
    await ensureNetnsUnit(this.#context, (...args) => this.#run(...args), 'amphora-netns');
    const unitText = keepalivedLvsUnitText(this.#context, listenerId);
    const unitPath = this.#unitPath(listenerId);
    const existing = await readFile(unitPath, 'utf8').catch(() => undefined);
    if (existing !== unitText) {
      // As for haproxy units: a stale unit is rewritten (the reference never refreshes it).
      await writeFileAtomic(unitPath, unitText, { mode: 0o644, preserveMode: false });
      if (existing !== undefined) await this.#run('daemon-reload');
    }
    const enabled = await this.#run('enable', keepalivedLvsUnitName(listenerId));
    return { ok: enabled.exitCode === 0, output: enabled.output };
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
    const result = await this.#run(verb, keepalivedLvsUnitName(listenerId));
    return { ok: result.exitCode === 0, output: result.output };
  }

  async remove(listenerId: string): Promise<ProcessOutcome> {
    const disabled = await this.#run('disable', keepalivedLvsUnitName(listenerId));
    if (disabled.exitCode !== 0) return { ok: false, output: disabled.output };
    const removed = await unlink(this.#unitPath(listenerId)).then(
      () => true,
      () => false,
    );
    if (removed) await this.#run('daemon-reload');
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
