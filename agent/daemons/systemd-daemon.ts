import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { ensureDirectory, fileExists, writeFileAtomic, writeFileIfChanged } from '../util/atomic-file.ts';
import { runCommand, type CommandResult } from '../util/run-command.ts';
import { NETNS_UNIT_NAME, renderNetnsUnit } from './systemd-units.ts';
import type { ProcessOutcome } from './types.ts';

/** What systemd must know of one kind of daemon: its unit per id, as the reference names and writes it. */
export interface UnitDescription {
  unitName(id: string): string;
  /**
   * How the reference's code names the namespace unit when it enables it (`amphora-netns.service`
   * for haproxy, `amphora-netns` for keepalived); a call-for-call match with the reference.
   */
  readonly netnsEnableName: string;
}

/**
 * One kind of daemon run by systemd from units under `systemd_unit_dir`: written when absent or
 * stale (the reference never refreshes a unit; a stale one would keep an old command line),
 * enabled so it starts at boot, driven with systemctl.
 */
export class SystemdDaemon {
  readonly #context: AgentContext;
  readonly #description: UnitDescription;
  readonly #systemctl: string;

  constructor(context: AgentContext, description: UnitDescription, systemctl = 'systemctl') {
    this.#context = context;
    this.#description = description;
    this.#systemctl = systemctl;
  }

  systemctl(...args: string[]): Promise<CommandResult> {
    return runCommand(this.#systemctl, args, { timeoutMs: 45_000 });
  }

  #unitPath(id: string): string {
    return join(this.#context.paths.systemdDir, this.#description.unitName(id));
  }

  /** After a validated upload: the namespace unit and this id's unit (`unitText`) written, enabled. */
  async prepare(id: string, unitText: string): Promise<ProcessOutcome> {
    await this.#ensureNetnsUnit();
    const unitPath = this.#unitPath(id);
    if ((await writeFileIfChanged(unitPath, unitText, 0o644)) === 'replaced') await this.systemctl('daemon-reload');
    const enabled = await this.systemctl('enable', this.#description.unitName(id));
    return { ok: enabled.exitCode === 0, output: enabled.output };
  }

  /**
   * `amphora-netns.service` when absent, enabled. It has no [Install] section, so enabling it
   * is expected to fail, harmlessly, as in the reference.
   */
  async #ensureNetnsUnit(): Promise<void> {
    const paths = this.#context.paths;
    await ensureDirectory(paths.systemdDir);
    const netnsUnit = join(paths.systemdDir, NETNS_UNIT_NAME);
    if (!(await fileExists(netnsUnit))) {
      const text = renderNetnsUnit({
        namespace: this.#context.config.current.amphora_agent.network_namespace || 'amphora-haproxy',
        pluggedInterfaces: paths.pluggedInterfaces,
      });
      await writeFileAtomic(netnsUnit, text, { mode: 0o644, preserveMode: false });
    }
    await this.systemctl('enable', this.#description.netnsEnableName);
  }

  /** `systemctl <verb> <unit>`. */
  async action(verb: string, id: string): Promise<CommandResult> {
    return this.systemctl(verb, this.#description.unitName(id));
  }

  /** The unit file removed (after a disable), systemd told when it was there. */
  async deleteUnit(id: string): Promise<void> {
    const removed = await unlink(this.#unitPath(id)).then(
      () => true,
      () => false,
    );
    if (removed) await this.systemctl('daemon-reload');
  }
}
