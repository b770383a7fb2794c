import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { lvsChildPidPaths, lvsConfigPath, lvsPidPath } from '../haproxy/layout.ts';
import { fileExists } from '../util/atomic-file.ts';
import { isProcessAlive, readPidFile } from '../util/process-state.ts';
import { runCommand } from '../util/run-command.ts';
import { KEEPALIVED_COMMAND } from './keepalived-systemd.ts';
import type { LvsProcessManager, ProcessOutcome } from './types.ts';

export interface KeepalivedDirectOptions {
  /** The keepalived binary. */
  keepalivedCommand?: string;
  /** How often supervised keepalived processes are checked for liveness. */
  monitorIntervalMs?: number;
  /** First respawn delay after a crash; doubles per consecutive crash up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A keepalived alive this long resets the back-off. */
  stableAfterMs?: number;
  /** How long a fresh keepalived must stay up before a start counts as done. */
  settleMs?: number;
}

interface Supervised {
  pid: number | undefined;
  startedAt: number;
  backoffMs: number;
  respawnAt: number | undefined;
}

const START_TIMEOUT_MS = 30_000;
const PID_FILE_WAIT_MS = 5_000;
const STOP_GRACE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  readonly #supervised = new Map<string, Supervised>();
  #timer: NodeJS.Timeout | undefined;
  #checking = false;

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
    if (running !== undefined && !this.#supervised.has(listenerId)) {
      this.#supervised.set(listenerId, { pid: running, startedAt: Date.now(), backoffMs: this.#options.initialBackoffMs, respawnAt: undefined });
    }
    const outcome = running !== undefined ? { ok: true, output: '' } : await this.#launch(listenerId);
    if (outcome.ok) {
      await writeFile(this.#wantedPath(listenerId), '', { mode: 0o600 });
      this.#ensureMonitor();
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
        this.#supervised.set(listenerId, {
          pid,
          startedAt: Date.now(),
          backoffMs: this.#supervised.get(listenerId)?.backoffMs ?? this.#options.initialBackoffMs,
          respawnAt: undefined,
        });
        return { ok: true, output: launched.output };
      }
      await sleep(10);
    }
    return { ok: false, output: `${launched.output}keepalived for listener ${listenerId} exited during its start (see its log)` };
  }

  async stop(listenerId: string): Promise<ProcessOutcome> {
    this.#supervised.delete(listenerId);
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
      while ((await isProcessAlive(pid)) && Date.now() < deadline) await sleep(10);
      if (await isProcessAlive(pid)) signal(pid, 'SIGKILL');
      for (const child of childPids) {
        while ((await isProcessAlive(child)) && Date.now() < deadline) await sleep(10);
        if (await isProcessAlive(child)) signal(child, 'SIGKILL');
      }
    }
    await removePidFiles([lvsPidPath(paths, listenerId), children.vrrp, children.check]);
    return { ok: true, output: '' };
  }

  async remove(listenerId: string): Promise<ProcessOutcome> {
    this.#supervised.delete(listenerId);
    await unlink(this.#wantedPath(listenerId)).catch(() => undefined);
    return { ok: true, output: '' };
  }

  /**
   * After an agent restart: a live keepalived is adopted; a wanted one found dead (crash,
   * reboot) is started again, as systemd starts an enabled unit at boot.
   */
  async adopt(listenerIds: readonly string[]): Promise<void> {
    for (const listenerId of listenerIds) {
      await this.#context.locks.run(`lb:${listenerId}`, async () => {
        const pid = await this.#livePid(listenerId);
        if (pid !== undefined) {
          this.#supervised.set(listenerId, { pid, startedAt: Date.now(), backoffMs: this.#options.initialBackoffMs, respawnAt: undefined });
          this.#context.logger.info({ listenerId, pid }, 'adopted running keepalived');
        } else if (await fileExists(this.#wantedPath(listenerId))) {
          const outcome = await this.#launch(listenerId);
          this.#context.logger.info({ listenerId, ok: outcome.ok }, 'restarted keepalived found dead at agent start');
          if (!outcome.ok) this.#scheduleRespawn(listenerId);
        }
      });
    }
    this.#ensureMonitor();
  }

  async shutdown(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #ensureMonitor(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#check(), this.#options.monitorIntervalMs);
    this.#timer.unref();
  }

  #scheduleRespawn(listenerId: string): void {
    const entry = this.#supervised.get(listenerId) ?? {
      pid: undefined,
      startedAt: 0,
      backoffMs: this.#options.initialBackoffMs,
      respawnAt: undefined,
    };
    entry.pid = undefined;
    entry.respawnAt = Date.now() + entry.backoffMs;
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.#options.maxBackoffMs);
    this.#supervised.set(listenerId, entry);
  }

  async #check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      for (const [listenerId, entry] of [...this.#supervised]) {
        // Skip listeners an API call is working on; the next tick sees the result.
        if (this.#context.locks.isBusy(`lb:${listenerId}`)) continue;
        if (entry.respawnAt === undefined) {
          if (entry.pid !== undefined && (await isProcessAlive(entry.pid))) {
            if (Date.now() - entry.startedAt > this.#options.stableAfterMs) entry.backoffMs = this.#options.initialBackoffMs;
            continue;
          }
          this.#context.logger.warn({ listenerId, pid: entry.pid, delayMs: entry.backoffMs }, 'keepalived exited; respawning');
          this.#scheduleRespawn(listenerId);
          continue;
        }
        if (Date.now() < entry.respawnAt) continue;
        await this.#context.locks.run(`lb:${listenerId}`, async () => {
          if (this.#supervised.get(listenerId) !== entry || !(await fileExists(lvsConfigPath(this.#context.paths, listenerId)))) return;
          const outcome = await this.#launch(listenerId);
          if (!outcome.ok) {
            this.#context.logger.error({ listenerId, output: outcome.output }, 'keepalived respawn failed');
            this.#scheduleRespawn(listenerId);
          }
        });
      }
    } catch (error) {
      this.#context.logger.error({ err: error }, 'keepalived supervision check failed');
    } finally {
      this.#checking = false;
    }
  }
}

/** Each file on its own, a missing one ignored (the reference fails on a partial set, §8.4). */
export async function removePidFiles(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => unlink(file).catch(() => undefined)));
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
