import { unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentContext } from '../context.ts';
import { fileExists } from '../util/atomic-file.ts';
import { exitsBy, isProcessAlive, readPidFile, signal, verifiedPid } from '../util/process-state.ts';
import { runCommand } from '../util/run-command.ts';
import { Supervisor, type SupervisorTimings } from './supervisor.ts';
import type { ProcessOutcome } from './types.ts';

/**
 * What the agent must know to run one kind of daemon itself. Adding a daemon means writing one
 * of these, not a supervisor: start, verified pid, stop with grace, respawn with back-off and
 * adoption after an agent restart come from DirectDaemon.
 */
export interface DaemonDescription {
  /** Names the daemon in log lines and messages: `haproxy`, `keepalived`. */
  readonly label: string;
  /** The log field carrying the id: `lbId`, `listenerId`. */
  readonly idField: string;
  /**
   * The command that starts the daemon for `id`. It must daemonize (the daemon outlives the
   * agent) and write `pidFile(id)`; a string is a refusal to start, reported as the outcome.
   */
  commandLine(id: string): Promise<{ command: string; args: string[] } | string>;
  pidFile(id: string): string;
  /** An argument only this id's process carries (its config path), checked in /proc/<pid>/cmdline. */
  identifyingArgument(id: string): string;
  /** Pid files of children the daemon forks (keepalived's -r/-c): cleared and waited for too. */
  childPidFiles?(id: string): string[];
  /**
   * A file that exists while the daemon is meant to run, so an agent starting after a crash or
   * reboot starts it again. Without one, a pid file left behind says so (the daemon removes its
   * own on a clean exit, and a stop removes it).
   */
  wantedMarker?(id: string): string;
  /** Is there still a configuration to run (checked before a respawn)? */
  hasConfig(id: string): Promise<boolean>;
  /** Work before every launch (files the command line names). */
  beforeLaunch?(id: string): Promise<void>;
  /** A daemon that cannot run its config may exit just after writing its pid: it must live this long. */
  readonly settleMs?: number;
  /** The daemon leads its own process group (haproxy -D): a stop past the grace kills the group. */
  readonly killGroup?: boolean;
  /** Launch message when no pid appears: what to look at. */
  readonly noPidHint?: string;
}

export interface DirectDaemonOptions extends SupervisorTimings {
  startTimeoutMs: number;
  pidFileWaitMs: number;
  stopGraceMs: number;
}

/** SIGKILL is delivered asynchronously: a stop returns once the process is really gone. */
const KILL_WAIT_MS = 2_000;

export const DEFAULT_DIRECT_OPTIONS: DirectDaemonOptions = {
  monitorIntervalMs: 1000,
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
  stableAfterMs: 30_000,
  startTimeoutMs: 30_000,
  pidFileWaitMs: 5_000,
  stopGraceMs: 10_000,
};

/**
 * One kind of daemon run by the agent, one instance per id, inside `network_namespace`. Each
 * id is guarded by the lock `lb:<id>`, which callers hold around every call taking an id.
 */
export class DirectDaemon {
  readonly #context: AgentContext;
  readonly #description: DaemonDescription;
  readonly #options: DirectDaemonOptions;
  readonly #supervisor: Supervisor;

  constructor(context: AgentContext, description: DaemonDescription, options: Partial<DirectDaemonOptions> = {}) {
    this.#context = context;
    this.#description = description;
    this.#options = { ...DEFAULT_DIRECT_OPTIONS, ...options };
    this.#supervisor = new Supervisor(context, this.#options, {
      label: description.label,
      idField: description.idField,
      livePid: (id) => this.livePid(id),
      launch: (id) => this.#launch(id),
      wasRunning: (id) => fileExists(description.wantedMarker?.(id) ?? description.pidFile(id)),
      canRespawn: (id) => description.hasConfig(id),
    });
  }

  /** The live pid of `id`, checked to really be this daemon running this id's config. */
  livePid(id: string): Promise<number | undefined> {
    return verifiedPid(this.#description.pidFile(id), this.#description.identifyingArgument(id));
  }

  isRunning(id: string): Promise<boolean> {
    return this.livePid(id).then((pid) => pid !== undefined);
  }

  /** Starts `id` unless it already runs (then it is adopted); supervised from then on. */
  async start(id: string): Promise<ProcessOutcome> {
    const running = await this.livePid(id);
    if (running !== undefined) this.#supervisor.watch(id, running);
    const outcome = running !== undefined ? { ok: true, output: '' } : await this.#launch(id);
    if (outcome.ok) {
      const marker = this.#description.wantedMarker?.(id);
      if (marker) await writeFile(marker, '', { mode: 0o600 });
      this.#supervisor.ensureMonitor();
    }
    return outcome;
  }

  /** `pid` now runs `id` (after a reload that replaced it, for instance). */
  watch(id: string, pid: number): void {
    this.#supervisor.watch(id, pid);
  }

  async #launch(id: string): Promise<ProcessOutcome> {
    const description = this.#description;
    const commandLine = await description.commandLine(id);
    if (typeof commandLine === 'string') return { ok: false, output: commandLine };
    await description.beforeLaunch?.(id);
    await removeFiles([description.pidFile(id), ...(description.childPidFiles?.(id) ?? [])]);
    const launched = await runCommand(commandLine.command, commandLine.args, {
      timeoutMs: this.#options.startTimeoutMs,
      namespace: this.#context.config.current.amphora_agent.network_namespace,
    });
    if (launched.exitCode !== 0) return { ok: false, output: launched.output };
    // The launcher exits once it has forked; the daemon writes its pid file just after.
    const deadline = Date.now() + this.#options.pidFileWaitMs;
    while (Date.now() < deadline) {
      const pid = await this.livePid(id);
      if (pid !== undefined) {
        if (description.settleMs) {
          await sleep(description.settleMs);
          if (!(await isProcessAlive(pid))) break;
        }
        this.#supervisor.watch(id, pid, true);
        return { ok: true, output: launched.output };
      }
      await sleep(10);
    }
    const hint = description.noPidHint ?? 'did not write its pid file';
    return { ok: false, output: `${launched.output}${description.label} for ${id} ${hint}` };
  }

  /**
   * SIGTERM, then SIGKILL after the grace (the process group for a group leader); children
   * named by pid files are waited for and killed the same way. Pid files and marker removed.
   */
  async stop(id: string): Promise<ProcessOutcome> {
    const description = this.#description;
    this.#supervisor.forget(id);
    const marker = description.wantedMarker?.(id);
    if (marker) await unlink(marker).catch(() => undefined);
    const childFiles = description.childPidFiles?.(id) ?? [];
    const children = (await Promise.all(childFiles.map((file) => readPidFile(file)))).filter(
      (pid): pid is number => pid !== undefined,
    );
    const pid = await this.livePid(id);
    if (pid !== undefined) {
      signal(pid, 'SIGTERM');
      const deadline = Date.now() + this.#options.stopGraceMs;
      if (!(await exitsBy(pid, deadline))) {
        if (!(description.killGroup && signal(-pid, 'SIGKILL'))) signal(pid, 'SIGKILL');
        await exitsBy(pid, Date.now() + KILL_WAIT_MS);
      }
      for (const child of children) {
        if (await exitsBy(child, deadline)) continue;
        signal(child, 'SIGKILL');
        await exitsBy(child, Date.now() + KILL_WAIT_MS);
      }
    }
    await removeFiles([description.pidFile(id), ...childFiles]);
    return { ok: true, output: '' };
  }

  /** The id is being deleted (already stopped): no longer supervised, not restarted at boot. */
  async forget(id: string): Promise<void> {
    this.#supervisor.forget(id);
    const marker = this.#description.wantedMarker?.(id);
    if (marker) await unlink(marker).catch(() => undefined);
  }

  /** After an agent restart: live daemons are adopted, those that died while wanted started again. */
  adopt(ids: readonly string[]): Promise<void> {
    return this.#supervisor.adopt(ids);
  }

  /** At agent exit: stop supervising. The daemons keep running. */
  shutdown(): void {
    this.#supervisor.shutdown();
  }
}

/** Each file on its own, a missing one ignored (the reference fails on a partial set). */
export async function removeFiles(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => unlink(file).catch(() => undefined)));
}
