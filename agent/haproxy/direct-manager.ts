import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { constants as osConstants } from 'node:os';
import type { AgentContext } from '../context.ts';
import { DirectDaemon, type DirectDaemonOptions } from '../daemons/direct-daemon.ts';
import type { ProcessOutcome } from '../daemons/types.ts';
import { fileExists, writeFileIfChanged } from '../util/atomic-file.ts';
import { catchesSignal, isProcessAlive, signal, signalPending } from '../util/process-state.ts';
import { HaproxyConfigStore } from './config-store.ts';
import { parseHaproxyConfig } from './config-text.ts';
import { haproxyPeerName } from './peer-name.ts';
import type { HaproxyProcessManager } from './process-manager.ts';
import { queryStatsSocket } from './stats-socket.ts';
import { ensureWorkerLimits, MAX_RELOADS_PER_WORKER, workerLimitsPath } from './worker-limits.ts';

export interface DirectManagerOptions extends Partial<DirectDaemonOptions> {
  /** Old workers still serving after this many reloads get SIGTERM from their master. */
  maxReloadsPerWorker?: number;
}

/** Agent-owned file beside the LB's config: what `start` needs after an agent restart. */
const ENTRY_FILE = 'haproxy-supervisor.json';
const RELOAD_SETTLE_MS = 10_000;
/** How long a master that is still re-executing (handlers not yet installed) is waited for. */
const MASTER_READY_WAIT_MS = 10_000;
/** No new worker by then while the master is ready again: the signal is sent once more. */
const RELOAD_RESEND_AFTER_MS = 3_000;
const SIGUSR2 = osConstants.signals.SIGUSR2;

/**
 * The agent runs haproxy itself, for hosts without systemd (containers, CI, dev mode):
 * `haproxy -W -D` (master-worker, daemonized: the master outlives the agent), inside the
 * configured network namespace, with the pid file where the reference keeps it. Reloads
 * signal USR2 to the master, which hands its listening sockets to the new worker, so no
 * connection is refused. Start, stop, respawn and adoption are the daemon layer's.
 *
 * Old workers are bounded with haproxy's own `mworker-max-reloads`, given in an extra global
 * section (`-f <B>/haproxy-agent-limits.cfg`) so the uploaded config is not altered.
 */
export class DirectProcessManager implements HaproxyProcessManager {
  readonly kind = 'direct';
  readonly #context: AgentContext;
  readonly #store: HaproxyConfigStore;
  readonly #maxReloadsPerWorker: number;
  readonly #daemon: DirectDaemon;

  constructor(context: AgentContext, options: DirectManagerOptions = {}) {
    this.#context = context;
    this.#store = new HaproxyConfigStore(context);
    const { maxReloadsPerWorker, ...timings } = options;
    this.#maxReloadsPerWorker = maxReloadsPerWorker ?? MAX_RELOADS_PER_WORKER;
    const paths = context.paths;
    this.#daemon = new DirectDaemon(
      context,
      {
        label: 'haproxy',
        idField: 'lbId',
        commandLine: (lbId) => this.#commandLine(lbId),
        pidFile: (lbId) => paths.haproxyPidFile(lbId),
        // Both process managers start haproxy with `-f <B>/<lb>/haproxy.cfg`.
        identifyingArgument: (lbId) => paths.haproxyConfig(lbId),
        hasConfig: (lbId) => fileExists(paths.haproxyConfig(lbId)),
        beforeLaunch: async () => {
          await this.#ensureLimits();
          await this.#store.ensureUserGroupConfig();
        },
        // The master leads its own session and process group (-D): a kill takes the workers too.
        killGroup: true,
      },
      // A dead master takes its workers with it: found within 200 ms, it is started again at once.
      { monitorIntervalMs: 200, initialBackoffMs: 500, ...timings },
    );
  }

  #entryPath(lbId: string): string {
    return join(this.#context.paths.lbDir(lbId), ENTRY_FILE);
  }

  async prepare(lbId: string, peerName: string): Promise<ProcessOutcome> {
    await writeFileIfChanged(this.#entryPath(lbId), JSON.stringify({ peer_name: peerName }), 0o600);
    return { ok: true, output: '' };
  }

  /**
   * The peer name recorded at upload; for an LB uploaded before this agent ran (no entry), the
   * one of this amphora's configured id, which is what the controller used.
   */
  async #peerName(lbId: string): Promise<string | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.#entryPath(lbId), 'utf8')) as { peer_name?: unknown };
      if (typeof entry.peer_name === 'string') return entry.peer_name;
    } catch {
      // no entry: fall through
    }
    const amphoraId = this.#context.config.current.amphora_agent.amphora_id;
    return amphoraId ? haproxyPeerName(amphoraId) : undefined;
  }

  #ensureLimits(): Promise<string> {
    return ensureWorkerLimits(this.#context.paths, this.#maxReloadsPerWorker);
  }

  async #commandLine(lbId: string): Promise<{ command: string; args: string[] } | string> {
    const paths = this.#context.paths;
    const peerName = await this.#peerName(lbId);
    if (peerName === undefined) return `no supervisor entry for haproxy-${lbId}: upload its configuration again`;
    return {
      command: this.#store.haproxyCommand,
      args: [
        '-W', '-D',
        '-f', paths.haproxyConfig(lbId),
        '-f', paths.haproxyUserGroupConfig,
        '-f', workerLimitsPath(paths),
        '-p', paths.haproxyPidFile(lbId),
        '-L', peerName,
      ],
    };
  }

  isRunning(lbId: string): Promise<boolean> {
    return this.#daemon.isRunning(lbId);
  }

  start(lbId: string): Promise<ProcessOutcome> {
    return this.#daemon.start(lbId);
  }

  async reload(lbId: string): Promise<ProcessOutcome> {
    const pid = await this.#daemon.livePid(lbId);
    if (pid === undefined) return { ok: false, output: `haproxy-${lbId} is not running` };
    const peerName = await this.#peerName(lbId);
    if (peerName === undefined) return { ok: false, output: `no supervisor entry for haproxy-${lbId}` };
    // As systemd's ExecReload: check first (certificates may have changed since the upload).
    const check = await this.#store.validate(this.#context.paths.haproxyConfig(lbId), peerName);
    if (check.exitCode !== 0) return { ok: false, output: check.output };
    await this.#ensureLimits();
    const socket = await this.#statsSocket(lbId);
    const before = socket ? await workerPid(socket) : undefined;
    const childrenBefore = await childPids(pid);
    // A master still re-executing from the previous reload would miss the signal.
    if (!(await this.#awaitSignalHandler(pid))) {
      return { ok: false, output: `haproxy-${lbId} master did not become ready for a reload within ${MASTER_READY_WAIT_MS} ms` };
    }
    if (!signal(pid, 'SIGUSR2')) return { ok: false, output: `haproxy-${lbId} exited before its reload` };
    this.#daemon.watch(lbId, pid);
    return this.#awaitNewWorker(lbId, pid, socket, before, childrenBefore);
  }

  async #awaitSignalHandler(master: number): Promise<boolean> {
    const deadline = Date.now() + MASTER_READY_WAIT_MS;
    while (Date.now() < deadline) {
      if (await catchesSignal(master, SIGUSR2)) return true;
      if (!(await isProcessAlive(master))) return false;
      await sleep(10);
    }
    return false;
  }

  /**
   * A reload is done when a new worker answers (or, without a stats socket, exists). If none
   * appears while the master is ready for signals again, the signal was lost: it is sent once more.
   */
  async #awaitNewWorker(
    lbId: string,
    master: number,
    socket: string | undefined,
    before: number | undefined,
    childrenBefore: Set<number>,
  ): Promise<ProcessOutcome> {
    const started = Date.now();
    const deadline = started + RELOAD_SETTLE_MS;
    let resent = false;
    while (Date.now() < deadline) {
      if (!(await isProcessAlive(master))) return { ok: false, output: `haproxy-${lbId} exited during reload` };
      if (socket && before !== undefined) {
        const now = await workerPid(socket);
        if (now !== undefined && now !== before) return { ok: true, output: '' };
      } else {
        const children = await childPids(master);
        if ([...children].some((child) => !childrenBefore.has(child))) return { ok: true, output: '' };
      }
      if (!resent && Date.now() - started >= RELOAD_RESEND_AFTER_MS && (await catchesSignal(master, SIGUSR2))) {
        resent = true;
        this.#context.logger.warn({ lbId }, 'no new haproxy worker after the reload signal; sending it again');
        signal(master, 'SIGUSR2');
      }
      await sleep(10);
    }
    // Late is not failed: a master that has not handled the signal yet, or has forked a worker
    // that does not answer yet, will serve the new config; one that handled it and forked
    // nothing refused it and keeps serving the previous one.
    const forked = [...(await childPids(master))].some((child) => !childrenBefore.has(child));
    const signalled = forked || (await signalPending(master, SIGUSR2));
    return { ok: false, signalled, output: `haproxy-${lbId} started no new worker within ${RELOAD_SETTLE_MS} ms` };
  }

  async #statsSocket(lbId: string): Promise<string | undefined> {
    try {
      return parseHaproxyConfig(await readFile(this.#context.paths.haproxyConfig(lbId), 'latin1')).statsSocket;
    } catch {
      return undefined;
    }
  }

  stop(lbId: string): Promise<ProcessOutcome> {
    return this.#daemon.stop(lbId);
  }

  async remove(lbId: string): Promise<void> {
    await this.#daemon.forget(lbId);
    await unlink(this.#entryPath(lbId)).catch(() => undefined);
  }

  /** After an agent restart: live masters are adopted, those that died while wanted started again. */
  adopt(lbIds: readonly string[]): Promise<void> {
    return this.#daemon.adopt(lbIds);
  }

  async shutdown(): Promise<void> {
    this.#daemon.shutdown();
  }
}

/** The pid `show info` reports: the worker that answers on the stats socket. */
async function workerPid(socket: string): Promise<number | undefined> {
  try {
    const info = await queryStatsSocket(socket, 'show info', 1000);
    const pid = /^Pid:\s*(\d+)\s*$/mu.exec(info)?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}

async function childPids(parent: number): Promise<Set<number>> {
  const children = new Set<number>();
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((name) => /^\d+$/u.test(name))
      .map(async (name) => {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[1]) === parent && fields[0] !== 'Z') children.add(Number(name));
      }),
  );
  return children;
}
