import type { AgentContext } from '../context.ts';
import { SystemdDaemon } from '../daemons/systemd-daemon.ts';
import { haproxyUnitName, NETNS_UNIT_NAME, renderHaproxyUnit } from '../daemons/systemd-units.ts';
import type { ProcessOutcome } from '../daemons/types.ts';
import { isHaproxyRunning } from './layout.ts';
import type { HaproxyProcessManager } from './process-manager.ts';
import { queryStatsSocket } from './stats-socket.ts';
import { haproxyVersion } from './version.ts';
import { ensureWorkerLimits } from './worker-limits.ts';

export interface SystemdManagerOptions {
  /** The systemctl binary (tests put a recording stand-in first on PATH). */
  systemctl?: string;
  /** Pause between `show info` probes while deciding whether a failed reload was a restart. */
  uptimeProbeIntervalMs?: number;
}

const RELOAD_ATTEMPTS = 3;
const UPTIME_PROBES = 5;
const RECENT_RESTART_SECONDS = 15;
const NOT_ACTIVE = 'is not active, cannot reload.';
const JOB_RUNNING = 'Job is already running';

/** haproxy run by systemd from `haproxy-<lb>.service`, as in the image (§3.5, §3.7.1, §3.8.1). */
export class SystemdProcessManager implements HaproxyProcessManager {
  readonly kind = 'systemd';
  readonly #context: AgentContext;
  readonly #units: SystemdDaemon;
  readonly #uptimeProbeIntervalMs: number;

  constructor(context: AgentContext, options: SystemdManagerOptions = {}) {
    this.#context = context;
    this.#units = new SystemdDaemon(
      context,
      { unitName: haproxyUnitName, netnsEnableName: NETNS_UNIT_NAME },
      options.systemctl,
    );
    this.#uptimeProbeIntervalMs = options.uptimeProbeIntervalMs ?? 1000;
  }

  async #unitText(lbId: string, peerName: string): Promise<string> {
    const config = this.#context.config.current;
    const paths = this.#context.paths;
    const version = await haproxyVersion(config.haproxy_amphora.haproxy_cmd);
    return renderHaproxyUnit({
      haproxyCommand: config.haproxy_amphora.haproxy_cmd,
      haproxyConfig: paths.haproxyConfig(lbId),
      userGroupConfig: paths.haproxyUserGroupConfig,
      pidFile: paths.haproxyPidFile(lbId),
      peerName,
      // mworker-max-reloads exists from haproxy 2.0 on; older ones keep the reference's unit.
      ...(version.major >= 2 ? { limitsConfig: await ensureWorkerLimits(paths) } : {}),
      namespace: config.amphora_agent.network_namespace,
      version,
    });
  }

  async prepare(lbId: string, peerName: string): Promise<ProcessOutcome> {
    return this.#units.prepare(lbId, await this.#unitText(lbId, peerName));
  }

  async start(lbId: string): Promise<ProcessOutcome> {
    return this.#simpleAction('start', lbId);
  }

  async stop(lbId: string): Promise<ProcessOutcome> {
    return this.#simpleAction('stop', lbId);
  }

  async #simpleAction(action: string, lbId: string): Promise<ProcessOutcome> {
    const result = await this.#units.action(action, lbId);
    return { ok: result.exitCode === 0 || result.output.includes(JOB_RUNNING), output: result.output };
  }

  /**
   * Up to three `systemctl reload`s. "is not active, cannot reload." right after a restart is
   * a race in systemd, not a failure: if haproxy answers with an uptime of at most 15 s, it is
   * running the new config already.
   */
  async reload(lbId: string): Promise<ProcessOutcome> {
    let last = '';
    for (let attempt = 0; attempt < RELOAD_ATTEMPTS; attempt++) {
      const result = await this.#units.action('reload', lbId);
      if (result.exitCode === 0 || result.output.includes(JOB_RUNNING)) return { ok: true, output: result.output };
      last = result.output;
      if (!result.output.includes(NOT_ACTIVE)) return { ok: false, output: last };
      const uptime = await this.#probeUptime(lbId);
      if (uptime !== undefined && uptime <= RECENT_RESTART_SECONDS) return { ok: true, output: result.output };
    }
    return { ok: false, output: last };
  }

  async #probeUptime(lbId: string): Promise<number | undefined> {
    const socket = this.#context.paths.statsSocket(lbId);
    for (let probe = 0; probe < UPTIME_PROBES; probe++) {
      try {
        const info = await queryStatsSocket(socket, 'show info', 2000);
        const uptime = /^Uptime_sec:\s*(\d+)\s*$/mu.exec(info)?.[1];
        if (uptime !== undefined) return Number(uptime);
      } catch {
        // not answering yet: probe again
      }
      if (probe < UPTIME_PROBES - 1) await new Promise((resolve) => setTimeout(resolve, this.#uptimeProbeIntervalMs));
    }
    return undefined;
  }

  async remove(lbId: string): Promise<void> {
    await this.#units.action('disable', lbId);
    await this.#units.deleteUnit(lbId);
  }

  isRunning(lbId: string): Promise<boolean> {
    return isHaproxyRunning(this.#context.paths, lbId);
  }

  async adopt(): Promise<void> {
    // systemd supervises; units enabled at upload start at boot by themselves.
  }

  async shutdown(): Promise<void> {}
}
