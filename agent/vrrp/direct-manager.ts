import type { AgentContext } from '../context.ts';
import { KEEPALIVED_COMMAND } from '../daemons/binaries.ts';
import { DirectDaemon, type DirectDaemonOptions } from '../daemons/direct-daemon.ts';
import type { ProcessOutcome } from '../daemons/types.ts';
import { fileExists } from '../util/atomic-file.ts';
import { signal } from '../util/process-state.ts';
import type { VrrpProcessManager } from './process-manager.ts';
import { vrrpPaths } from './paths.ts';

export interface VrrpDirectOptions extends Partial<DirectDaemonOptions> {
  keepalivedCommand?: string;
  /** How long a fresh keepalived must stay up before a start counts as done. */
  settleMs?: number;
}

/** The daemon's id, and with it the lock `lb:vrrp` (`vrrp` is never a valid LB id). */
export const VRRP_DAEMON_ID = 'vrrp';

/**
 * The agent runs the VRRP keepalived itself on hosts without systemd: the unit's command line
 * (`keepalived -D --log-facility=N -f conf -p pid -r vrrp.pid -c check.pid`, every pid file in
 * B/vrrp/) inside the configured network namespace. keepalived daemonizes and outlives the
 * agent. `octavia-keepalived.wanted` records a start not followed by a stop, so an agent
 * starting after a crash or reboot starts it again; one that dies while wanted is respawned.
 */
export class KeepalivedVrrpDirectManager implements VrrpProcessManager {
  readonly kind = 'direct';
  readonly #daemon: DirectDaemon;

  constructor(context: AgentContext, options: VrrpDirectOptions = {}) {
    const { keepalivedCommand = KEEPALIVED_COMMAND, settleMs = 250, ...timings } = options;
    const files = () => vrrpPaths(context.paths);
    this.#daemon = new DirectDaemon(
      context,
      {
        label: 'keepalived (VRRP)',
        idField: 'daemon',
        commandLine: async () => ({
          command: keepalivedCommand,
          args: [
            '-D',
            `--log-facility=${context.config.current.amphora_agent.administrative_log_facility}`,
            '-f', files().config,
            '-p', files().pidFile,
            '-r', files().vrrpPidFile,
            '-c', files().checkPidFile,
          ],
        }),
        pidFile: () => files().pidFile,
        identifyingArgument: () => files().config,
        childPidFiles: () => [files().vrrpPidFile, files().checkPidFile],
        wantedMarker: () => files().wanted,
        hasConfig: () => fileExists(files().config),
        // A keepalived that cannot run its config (e.g. its interface is missing) exits at once.
        settleMs,
        noPidHint: 'exited during its start (see its log)',
      },
      timings,
    );
  }

  async prepare(): Promise<ProcessOutcome> {
    // The command line is derived from the configuration: nothing to record.
    return { ok: true, output: '' };
  }

  isRunning(): Promise<boolean> {
    return this.#daemon.isRunning(VRRP_DAEMON_ID);
  }

  start(): Promise<ProcessOutcome> {
    return this.#daemon.start(VRRP_DAEMON_ID);
  }

  /** keepalived re-reads its configuration on SIGHUP, in the same process. */
  async reload(): Promise<ProcessOutcome> {
    const pid = await this.#daemon.livePid(VRRP_DAEMON_ID);
    // As `systemctl reload` of an inactive unit: nothing to reload.
    if (pid === undefined || !signal(pid, 'SIGHUP')) return { ok: false, output: 'keepalived (VRRP) is not running, cannot reload.' };
    return { ok: true, output: '' };
  }

  /**
   * As KillMode=process: the parent alone is signalled; it stops its children and, as MASTER,
   * hands the VIP over with a priority-0 advert.
   */
  stop(): Promise<ProcessOutcome> {
    return this.#daemon.stop(VRRP_DAEMON_ID);
  }

  adopt(): Promise<void> {
    return this.#daemon.adopt([VRRP_DAEMON_ID]);
  }

  async shutdown(): Promise<void> {
    this.#daemon.shutdown();
  }
}
