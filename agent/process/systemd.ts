import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { queryStatsSocket } from '../haproxy/stats-socket.ts';
import { haproxyVersion } from '../haproxy/version.ts';
import { ensureDirectory, fileExists, writeFileAtomic } from '../util/atomic-file.ts';
import { isHaproxyRunning } from '../haproxy/layout.ts';
import { runCommand } from '../util/run-command.ts';
import { ensureWorkerLimits } from '../haproxy/worker-limits.ts';
import { haproxyUnitName, NETNS_UNIT_NAME, renderHaproxyUnit, renderNetnsUnit } from './systemd-units.ts';
import type { HaproxyProcessManager, ProcessOutcome } from './types.ts';

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

/**
 * Writes `amphora-netns.service` when absent and enables it. The unit has no [Install]
 * section: enabling it is expected to fail, harmlessly. `enableName` is how the caller's
 * reference code names it (`amphora-netns.service` for haproxy, `amphora-netns` for keepalived).
 */
export async function ensureNetnsUnit(
  context: AgentContext,
  systemctl: (...args: string[]) => Promise<unknown>,
  enableName: string,
): Promise<void> {
  const paths = context.paths;
  await ensureDirectory(paths.systemdDir);
  const netnsUnit = join(paths.systemdDir, NETNS_UNIT_NAME);
  if (!(await fileExists(netnsUnit))) {
    const text = renderNetnsUnit({
      namespace: context.config.current.amphora_agent.network_namespace || 'amphora-haproxy',
      pluggedInterfaces: paths.pluggedInterfaces,
    });
    await writeFileAtomic(netnsUnit, text, { mode: 0o644, preserveMode: false });
  }
  await systemctl('enable', enableName);
}

/** haproxy run by systemd from `haproxy-<lb>.service`, as in the image (§3.5, §3.7.1, §3.8.1). */
export class SystemdProcessManager implements HaproxyProcessManager {
  readonly kind = 'systemd';
  readonly #context: AgentContext;
  readonly #systemctl: string;
  readonly #uptimeProbeIntervalMs: number;

  constructor(context: AgentContext, options: SystemdManagerOptions = {}) {
    this.#context = context;
    this.#systemctl = options.systemctl ?? 'systemctl';
    this.#uptimeProbeIntervalMs = options.uptimeProbeIntervalMs ?? 1000;
  }

  #unitPath(name: string): string {
    return join(this.#context.paths.systemdDir, name);
  }

  #systemctlRun(...args: string[]) {
    return runCommand(this.#systemctl, args, { timeoutMs: 45_000 });
  }

  async prepare(lbId: string, peerName: string): Promise<ProcessOutcome> {
    const config = this.#context.config.current;
    const paths = this.#context.paths;
    await ensureNetnsUnit(this.#context, (...args) => this.#systemctlRun(...args), NETNS_UNIT_NAME);

    const version = await haproxyVersion(config.haproxy_amphora.haproxy_cmd);
    const unitText = renderHaproxyUnit({
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
    const unitPath = this.#unitPath(haproxyUnitName(lbId));
    const existing = await readFile(unitPath, 'utf8').catch(() => undefined);
    if (existing !== unitText) {
      // The reference never refreshes a unit; we rewrite a stale one (new haproxy_cmd, base
      // path, namespace) and tell systemd, which keeps the file deterministic and current.
      await writeFileAtomic(unitPath, unitText, { mode: 0o644, preserveMode: false });
      if (existing !== undefined) await this.#systemctlRun('daemon-reload');
    }
    const enabled = await this.#systemctlRun('enable', haproxyUnitName(lbId));
    return { ok: enabled.exitCode === 0, output: enabled.output };
  }

  async start(lbId: string): Promise<ProcessOutcome> {
    return this.#simpleAction('start', lbId);
  }

  async stop(lbId: string): Promise<ProcessOutcome> {
    return this.#simpleAction('stop', lbId);
  }

  async #simpleAction(action: string, lbId: string): Promise<ProcessOutcome> {
    const result = await this.#systemctlRun(action, haproxyUnitName(lbId));
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
      const result = await this.#systemctlRun('reload', haproxyUnitName(lbId));
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
    await this.#systemctlRun('disable', haproxyUnitName(lbId));
    const removed = await unlink(this.#unitPath(haproxyUnitName(lbId))).then(
      () => true,
      () => false,
    );
    if (removed) await this.#systemctlRun('daemon-reload');
  }

  isRunning(lbId: string): Promise<boolean> {
    return isHaproxyRunning(this.#context.paths, lbId);
  }

  async adopt(): Promise<void> {
    // systemd supervises; units enabled at upload start at boot by themselves.
  }

  async shutdown(): Promise<void> {}
}
