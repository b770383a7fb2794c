import type { AgentContext } from '../context.ts';
import { KEEPALIVED_COMMAND } from '../daemons/binaries.ts';
import { SystemdDaemon } from '../daemons/systemd-daemon.ts';
import { renderKeepalivedLvsUnit } from '../daemons/systemd-units.ts';
import type { ProcessOutcome } from '../daemons/types.ts';
import { isPidFileAlive } from '../util/process-state.ts';
import { VRRP_DAEMON_ID } from './direct-manager.ts';
import type { VrrpProcessManager } from './process-manager.ts';
import { vrrpPaths } from './paths.ts';

export const VRRP_UNIT_NAME = 'octavia-keepalived.service';

/**
 * The reference's `octavia-keepalived.service` (§A.3, its keepalived.systemd.j2) with the VRRP
 * and checker pid files named too, as the same template does for LVS listeners: without `-r`
 * and `-c` keepalived uses /run/vrrp.pid, and a second amphora on one host would not start.
 */
export function keepalivedVrrpUnitText(context: AgentContext): string {
  const files = vrrpPaths(context.paths);
  return renderKeepalivedLvsUnit({
    keepalivedCommand: KEEPALIVED_COMMAND,
    logFacility: context.config.current.amphora_agent.administrative_log_facility,
    configFile: files.config,
    pidFile: files.pidFile,
    vrrpPidFile: files.vrrpPidFile,
    checkPidFile: files.checkPidFile,
    namespace: context.config.current.amphora_agent.network_namespace,
  });
}

/** keepalived (VRRP) run by systemd, as in the image; the unit is refreshed when its text changes. */
export class KeepalivedVrrpSystemdManager implements VrrpProcessManager {
  readonly kind = 'systemd';
  readonly #context: AgentContext;
  readonly #units: SystemdDaemon;

  constructor(context: AgentContext, systemctl?: string) {
    this.#context = context;
    this.#units = new SystemdDaemon(context, { unitName: () => VRRP_UNIT_NAME, netnsEnableName: 'amphora-netns' }, systemctl);
  }

  prepare(): Promise<ProcessOutcome> {
    return this.#units.prepare(VRRP_DAEMON_ID, keepalivedVrrpUnitText(this.#context));
  }

  start(): Promise<ProcessOutcome> {
    return this.#action('start');
  }

  reload(): Promise<ProcessOutcome> {
    return this.#action('reload');
  }

  stop(): Promise<ProcessOutcome> {
    return this.#action('stop');
  }

  async #action(verb: string): Promise<ProcessOutcome> {
    const result = await this.#units.action(verb, VRRP_DAEMON_ID);
    return { ok: result.exitCode === 0, output: result.output };
  }

  isRunning(): Promise<boolean> {
    return isPidFileAlive(vrrpPaths(this.#context.paths).pidFile);
  }

  async adopt(): Promise<void> {
    // systemd supervises; the enabled unit starts at boot by itself.
  }

  async shutdown(): Promise<void> {}
}
