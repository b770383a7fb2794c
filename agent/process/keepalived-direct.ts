import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentContext } from '../context.ts';
import { lvsChildPidPaths, lvsConfigPath, lvsPidPath } from '../haproxy/layout.ts';
import { fileExists } from '../util/atomic-file.ts';
import { isProcessAlive, readPidFile } from '../util/process-state.ts';
import { runCommand } from '../util/run-command.ts';
import { KEEPALIVED_COMMAND } from './keepalived-systemd.ts';
import { exitsBy, signal, Supervisor, type SupervisorTimings } from './supervisor.ts';
import type { LvsProcessManager, ProcessOutcome } from './types.ts';

export interface KeepalivedDirectOptions extends Partial<SupervisorTimings> {
  /** The keepalived binary. */
  keepalivedCommand?: string;
  /** How long a fresh keepalived must stay up before a start counts as done. */
  settleMs?: number;
}

const START_TIMEOUT_MS = 30_000;
const PID_FILE_WAIT_MS = 5_000;
const STOP_GRACE_MS = 10_000;

/**
 * The agent runs each LVS listener's keepalived itself, for hosts without systemd: the unit's
 * command line (`keepalived -D --log-facility=N -f conf -p pid -r vrrp.pid -c check.pid`, pid
 * files where the reference keeps them) inside the configured network namespace. keepalived
 * daemonizes, so it outlives the agent. A marker file `octavia-keepalivedlvs-<id>.wanted`
 * (no `.conf` or `.pid` suffix, so no listing or check script sees it) records that the
 * listener was started and not stopped: keepalived removes its own pid file when it exits, so
 * the marker is what tells an agent restarting after a crash or reboot to start it again.
 * A keepalived that dies while wanted is respawned with back-off.
 */
export class KeepalivedDirectManager implements LvsProcessManager {
  readonly kind = 'direct';
  readonly #context: AgentContext;
  readonly #options: Required<KeepalivedDirectOptions>;
  readonly #supervisor: Supervisor;

  constructor(context: AgentContext, options: KeepalivedDirectOptions = {}) {
    this.#context = context;
    this.#options = {
      keepalivedCommand: options.keepalivedCommand ?? KEEPALIVED_COMMAND,
      monitorIntervalMs: options.monitorIntervalMs ?? 1000,
      initialBackoffMs: options.initialBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      stableAfterMs: options.stableAfterMs ?? 30_000,
      settleMs: options.settleMs ?? 250,
    };
    this.#supervisor = new Supervisor(context, this.#options, {
      label: 'keepalived',
      idField: 'listenerId',
      livePid: (listenerId) => this.#livePid(listenerId),
      launch: (listenerId) => this.#launch(listenerId),
      wasRunning: (listenerId) => fileExists(this.#wantedPath(listenerId)),
      canRespawn: (listenerId) => fileExists(lvsConfigPath(context.paths, listenerId)),
    });
  }

  #wantedPath(listenerId: string): string {
    return join(this.#context.paths.lvsDir, `octavia-keepalivedlvs-${listenerId}.wanted`);
  }

  async prepare(): Promise<ProcessOutcome> {
    // The command line is derived from the listener id and the configuration: nothing to record.
    return { ok: true, output: '' };
  }

  /** The live keepalived parent of `listenerId`, checked to really run this listener's config. */
  async #livePid(listenerId: string): Promise<number | undefined> {
    const pid = await readPidFile(lvsPidPath(this.#context.paths, listenerId));
    if (pid === undefined || !(await isProcessAlive(pid))) return undefined;
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    // After a reboot the pid may belong to anything: only our keepalived carries this path.
    return commandLine.split('\0').includes(lvsConfigPath(this.#context.paths, listenerId)) ? pid : undefined;
  }

  isRunning(listenerId: string): Promise<boolean> {
    return this.#livePid(listenerId).then((pid) => pid !== undefined);
  }

  async start(listenerId: string): Promise<ProcessOutcome> {
    const running = await this.#livePid(listenerId);
    if (running !== undefined && !this.#supervisor.has(listenerId)) this.#supervisor.watch(listenerId, running);
    const outcome = running !== undefined ? { ok: true, output: '' } : await this.#launch(listenerId);
    if (outcome.ok) {
      await writeFile(this.#wantedPath(listenerId), '', { mode: 0o600 });
      this.#supervisor.ensureMonitor();
    }
    return outcome;
  }

  async restart(listenerId: string): Promise<ProcessOutcome> {
    const stopped = await this.stop(listenerId);
    if (!stopped.ok) return stopped;
    return this.start(listenerId);
  }

  async #launch(listenerId: string): Promise<ProcessOutcome> {
    const paths = this.#context.paths;
    const pidFile = lvsPidPath(paths, listenerId);
    const children = lvsChildPidPaths(paths, listenerId);
    await removePidFiles([pidFile, children.vrrp, children.check]);
    const launched = await runCommand(
      this.#options.keepalivedCommand,
      [
        '-D',
        `--log-facility=${this.#context.config.current.amphora_agent.administrative_log_facility}`,
        '-f', lvsConfigPath(paths, listenerId),
        '-p', pidFile,
        '-r', children.vrrp,
        '-c', children.check,
      ],
      { timeoutMs: START_TIMEOUT_MS, namespace: this.#context.config.current.amphora_agent.network_namespace },
    );
    if (launched.exitCode !== 0) return { ok: false, output: launched.output };
    // The launcher exits once it has forked; the daemon writes its pid file just after.
    const deadline = Date.now() + PID_FILE_WAIT_MS;
    while (Date.now() < deadline) {
      const pid = await this.#livePid(listenerId);
      if (pid !== undefined) {
        // A keepalived that cannot run its config (e.g. no IPVS in the kernel) exits at once.
        await sleep(this.#options.settleMs);
        if (!(await isProcessAlive(pid))) break;
        this.#supervisor.watch(listenerId, pid, true);
        return { ok: true, output: launched.output };
      }
      await sleep(10);
    }
    return { ok: false, output: `${launched.output}keepalived for listener ${listenerId} exited during its start (see its log)` };
  }

  async stop(listenerId: string): Promise<ProcessOutcome> {
    this.#supervisor.forget(listenerId);
    await unlink(this.#wantedPath(listenerId)).catch(() => undefined);
    const paths = this.#context.paths;
    const children = lvsChildPidPaths(paths, listenerId);
    const childPids = [await readPidFile(children.vrrp), await readPidFile(children.check)].filter(
      (pid): pid is number => pid !== undefined,
    );
    const pid = await this.#livePid(listenerId);
    if (pid !== undefined) {
      // As KillMode=process: the parent alone is signalled and stops its children itself.
      signal(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      if (!(await exitsBy(pid, deadline))) signal(pid, 'SIGKILL');
      for (const child of childPids) if (!(await exitsBy(child, deadline))) signal(child, 'SIGKILL');
    }
    await removePidFiles([lvsPidPath(paths, listenerId), children.vrrp, children.check]);
    return { ok: true, output: '' };
  }

  async remove(listenerId: string): Promise<ProcessOutcome> {
    this.#supervisor.forget(listenerId);
    await unlink(this.#wantedPath(listenerId)).catch(() => undefined);
    return { ok: true, output: '' };
  }

  /**
   * After an agent restart: a live keepalived is adopted; a wanted one found dead (crash,
   * reboot) is started again, as systemd starts an enabled unit at boot.
   */
  adopt(listenerIds: readonly string[]): Promise<void> {
    return this.#supervisor.adopt(listenerIds);
  }

  async shutdown(): Promise<void> {
    this.#supervisor.shutdown();
  }
}

/** Each file on its own, a missing one ignored (the reference fails on a partial set, §8.4). */
export async function removePidFiles(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => unlink(file).catch(() => undefined)));
}
