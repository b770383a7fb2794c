import type { AgentContext } from '../context.ts';
import { isProcessAlive } from '../util/process-state.ts';
import type { ProcessOutcome } from './types.ts';

export interface SupervisorTimings {
  /** How often supervised processes are checked for liveness. */
  monitorIntervalMs: number;
  /**
   * Delay before the second respawn of crashes in a row (the first is immediate); doubles per
   * further crash up to `maxBackoffMs`.
   */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A process alive this long resets the back-off. */
  stableAfterMs: number;
}

/** What the supervisor needs to know of one daemon; each id is guarded by the lock `lb:<id>`. */
export interface SupervisedDaemon {
  /** Names the daemon in log lines: `haproxy`, `keepalived`. */
  readonly label: string;
  /** The log field carrying the id: `lbId`, `listenerId`. */
  readonly idField: string;
  /** The live pid of `id`, checked to really be this daemon running this id's config. */
  livePid(id: string): Promise<number | undefined>;
  /** Starts the daemon; on success it calls `watch(id, pid, true)`. */
  launch(id: string): Promise<ProcessOutcome>;
  /** At agent start, for a daemon found dead: was it meant to run (so start it again)? */
  wasRunning(id: string): Promise<boolean>;
  /** At respawn time: is there still a config to run? */
  canRespawn(id: string): Promise<boolean>;
}

interface Entry {
  /** True between a successful start and a stop: a dead process is then a crash. */
  wanted: boolean;
  pid: number | undefined;
  startedAt: number;
  backoffMs: number;
  respawnAt: number | undefined;
}

/**
 * Keeps daemons the agent started itself running: a periodic liveness check, respawn with
 * back-off after a crash, adoption of the processes found at agent start.
 */
export class Supervisor {
  readonly #context: AgentContext;
  readonly #timings: SupervisorTimings;
  readonly #daemon: SupervisedDaemon;
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #checking = false;

  constructor(context: AgentContext, timings: SupervisorTimings, daemon: SupervisedDaemon) {
    this.#context = context;
    this.#timings = timings;
    this.#daemon = daemon;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /**
   * `pid` runs `id` and is wanted. A `fresh` process (just launched) restarts the stability
   * clock; an adopted or reloaded one keeps the current entry's clock and back-off.
   */
  watch(id: string, pid: number, fresh = false): void {
    const entry = this.#entries.get(id);
    if (entry && !fresh) {
      entry.wanted = true;
      entry.pid = pid;
      entry.respawnAt = undefined;
      return;
    }
    this.#entries.set(id, {
      wanted: true,
      pid,
      startedAt: Date.now(),
      backoffMs: entry?.backoffMs ?? 0,
      respawnAt: undefined,
    });
  }

  /** Stopped or removed: no longer supervised. */
  forget(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) entry.wanted = false;
    this.#entries.delete(id);
  }

  /**
   * After an agent restart: a live process is adopted; one found dead while it was meant to
   * run (crash, reboot) is started again, as systemd starts an enabled unit.
   */
  async adopt(ids: readonly string[]): Promise<void> {
    const { label, idField } = this.#daemon;
    for (const id of ids) {
      await this.#context.locks.run(`lb:${id}`, async () => {
        const pid = await this.#daemon.livePid(id);
        if (pid !== undefined) {
          this.watch(id, pid);
          this.#context.logger.info({ [idField]: id, pid }, `adopted running ${label}`);
        } else if (await this.#daemon.wasRunning(id)) {
          const outcome = await this.#daemon.launch(id);
          this.#context.metrics?.processRestart(label, outcome.ok);
          this.#context.logger.info({ [idField]: id, ok: outcome.ok }, `restarted ${label} found dead at agent start`);
          if (!outcome.ok) this.#scheduleRespawn(id);
        }
      });
    }
    this.ensureMonitor();
  }

  ensureMonitor(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#check(), this.#timings.monitorIntervalMs);
    this.#timer.unref();
  }

  shutdown(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #scheduleRespawn(id: string): void {
    const entry = this.#entries.get(id) ?? {
      wanted: true,
      pid: undefined,
      startedAt: 0,
      backoffMs: 0,
      respawnAt: undefined,
    };
    entry.wanted = true;
    entry.pid = undefined;
    entry.respawnAt = Date.now() + entry.backoffMs;
    // The first crash after a stable run is respawned at once (every second of it is lost
    // traffic); crashes in a row back off from initialBackoffMs, doubling.
    entry.backoffMs = entry.backoffMs === 0 ? this.#timings.initialBackoffMs : Math.min(entry.backoffMs * 2, this.#timings.maxBackoffMs);
    this.#entries.set(id, entry);
  }

  async #check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    const { label, idField } = this.#daemon;
    try {
      for (const [id, entry] of [...this.#entries]) {
        // Skip ids an API call is working on; the next tick sees the result.
        if (!entry.wanted || this.#context.locks.isBusy(`lb:${id}`)) continue;
        if (entry.respawnAt === undefined) {
          if (entry.pid !== undefined && (await isProcessAlive(entry.pid))) {
            if (Date.now() - entry.startedAt > this.#timings.stableAfterMs) entry.backoffMs = 0;
            continue;
          }
          // A stop that ran while the liveness probe awaited killed it on purpose and forgot the
          // entry: scheduling now would put a wanted entry back and respawn a stopped daemon.
          if (this.#entries.get(id) !== entry || !entry.wanted) continue;
          this.#context.logger.warn({ [idField]: id, pid: entry.pid, delayMs: entry.backoffMs }, `${label} exited; respawning`);
          this.#scheduleRespawn(id);
        }
        if (entry.respawnAt === undefined || Date.now() < entry.respawnAt) continue;
        await this.#context.locks.run(`lb:${id}`, async () => {
          if (this.#entries.get(id) !== entry || !entry.wanted || !(await this.#daemon.canRespawn(id))) return;
          const running = await this.#daemon.livePid(id);
          if (running !== undefined) {
            this.watch(id, running);
            return;
          }
          const outcome = await this.#daemon.launch(id);
          this.#context.metrics?.processRestart(label, outcome.ok);
          // Stopped while it launched: no longer wanted, not to be retried.
          if (!outcome.ok && this.#entries.get(id) === entry) {
            this.#context.logger.error({ [idField]: id, output: outcome.output }, `${label} respawn failed`);
            this.#scheduleRespawn(id);
          }
        });
      }
    } catch (error) {
      this.#context.logger.error({ err: error }, `${label} supervision check failed`);
    } finally {
      this.#checking = false;
    }
  }
}
