import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { KEEPALIVED_COMMAND } from '../daemons/binaries.ts';
import { DirectDaemon, type DirectDaemonOptions } from '../daemons/direct-daemon.ts';
import type { ProcessOutcome } from '../daemons/types.ts';
import { fileExists } from '../util/atomic-file.ts';
import { lvsChildPidPaths, lvsConfigPath, lvsPidPath } from './layout.ts';
import type { LvsProcessManager } from './process-manager.ts';

export interface KeepalivedDirectOptions extends Partial<DirectDaemonOptions> {
  /** The keepalived binary. */
  keepalivedCommand?: string;
  /** How long a fresh keepalived must stay up before a start counts as done. */
  settleMs?: number;
}

/**
 * The agent runs each LVS listener's keepalived itself, for hosts without systemd: the unit's
 * command line (`keepalived -D --log-facility=N -f conf -p pid -r vrrp.pid -c check.pid`, pid
 * files where the reference keeps them) inside the configured network namespace. keepalived
 * daemonizes, so it outlives the agent. A marker file `octavia-keepalivedlvs-<id>.wanted`
 * (no `.conf` or `.pid` suffix, so no listing or check script sees it) records that the
 * listener was started and not stopped: keepalived removes its own pid file when it exits, so
 * the marker is what tells an agent restarting after a crash or reboot to start it again.
 */
export class KeepalivedDirectManager implements LvsProcessManager {
  readonly kind = 'direct';
  readonly #daemon: DirectDaemon;

  constructor(context: AgentContext, options: KeepalivedDirectOptions = {}) {
    const { keepalivedCommand = KEEPALIVED_COMMAND, settleMs = 250, ...timings } = options;
    const paths = context.paths;
    this.#daemon = new DirectDaemon(
      context,
      {
        label: 'keepalived',
        idField: 'listenerId',
        commandLine: async (listenerId) => {
          const children = lvsChildPidPaths(paths, listenerId);
          return {
            command: keepalivedCommand,
            args: [
              '-D',
              `--log-facility=${context.config.current.amphora_agent.administrative_log_facility}`,
              '-f', lvsConfigPath(paths, listenerId),
              '-p', lvsPidPath(paths, listenerId),
              '-r', children.vrrp,
              '-c', children.check,
            ],
          };
        },
        pidFile: (listenerId) => lvsPidPath(paths, listenerId),
        identifyingArgument: (listenerId) => lvsConfigPath(paths, listenerId),
        childPidFiles: (listenerId) => Object.values(lvsChildPidPaths(paths, listenerId)),
        wantedMarker: (listenerId) => join(paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.wanted`),
        hasConfig: (listenerId) => fileExists(lvsConfigPath(paths, listenerId)),
        // A keepalived that cannot run its config (e.g. no IPVS in the kernel) exits at once.
        settleMs,
        noPidHint: 'exited during its start (see its log)',
      },
      timings,
    );
  }

  async prepare(): Promise<ProcessOutcome> {
    // The command line is derived from the listener id and the configuration: nothing to record.
    return { ok: true, output: '' };
  }

  isRunning(listenerId: string): Promise<boolean> {
    return this.#daemon.isRunning(listenerId);
  }

  start(listenerId: string): Promise<ProcessOutcome> {
    return this.#daemon.start(listenerId);
  }

  async restart(listenerId: string): Promise<ProcessOutcome> {
    const stopped = await this.stop(listenerId);
    if (!stopped.ok) return stopped;
    return this.start(listenerId);
  }

  /** As KillMode=process: the parent alone is signalled and stops its children itself. */
  stop(listenerId: string): Promise<ProcessOutcome> {
    return this.#daemon.stop(listenerId);
  }

  async remove(listenerId: string): Promise<ProcessOutcome> {
    await this.#daemon.forget(listenerId);
    return { ok: true, output: '' };
  }

  /**
   * After an agent restart: a live keepalived is adopted; a wanted one found dead (crash,
   * reboot) is started again, as systemd starts an enabled unit at boot.
   */
  adopt(listenerIds: readonly string[]): Promise<void> {
    return this.#daemon.adopt(listenerIds);
  }

  async shutdown(): Promise<void> {
    this.#daemon.shutdown();
  }
}
