import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { pathsFor } from '../config/paths.ts';
import type { AgentConfig } from '../config/options.ts';
import type { Logger } from '../util/logger.ts';
import { collectSnapshot } from './collector.ts';
import { CounterStore } from './counters.ts';
import { DestinationRing, type Destination, type Resolver } from './destinations.ts';
import { encodeHeartbeat } from './encode.ts';
import { vrrpSkipReason } from './keepalived-gate.ts';
import { systemLvsCommands, type LvsCommands } from './lvs-collector.ts';
import { buildMessage, memberCount } from './message.ts';
import { emptySnapshot, type CollectionProblem, type SilentLoadBalancer, type Snapshot } from './snapshot.ts';
import { StatsMemory } from './stats-memory.ts';
import { errorMessage } from '../util/errors.ts';
import { monotonicMs } from '../util/clock.ts';

export interface BeatResult {
  /** When the beat began (monotonicMs() milliseconds). */
  startedAt: number;
  durationMs: number;
  seq: number | undefined;
  /** Why nothing was built (keepalived gate); undefined when a message was built. */
  skipped: string | undefined;
  destination: Destination | undefined;
  datagrams: Buffer[];
  sent: number;
  poolsOmitted: boolean;
  problems: CollectionProblem[];
}

export interface HeartbeatLoopOptions {
  config: () => AgentConfig;
  logger: Logger;
  lvsCommands?: LvsCommands;
  resolver?: Resolver;
}

/**
 * A haproxy silent this many passes in a row is wedged: the agent is asked to restart it, and
 * again after as many more while it stays silent.
 */
export const RESTART_AFTER_SILENT_BEATS = 3;
/**
 * Silent this long, restarts did not help: heartbeats are withheld so the control plane fails
 * the amphora over, as it does for the reference whose heartbeat stalls. Listeners reported
 * from memory would otherwise keep a dead load balancer looking healthy forever.
 */
export const WITHHOLD_AFTER_SILENT_BEATS = 6;

/** Time allowed to read haproxy and LVS state: well inside the interval, never above 2 s. */
export function collectionBudgetMs(intervalSeconds: number): number {
  return Math.max(100, Math.min(2000, intervalSeconds * 300));
}

/**
 * The heartbeat: the first one at start, then one every heartbeat_interval on a fixed-rate
 * schedule (a late beat is not made up with a burst). Every beat's collection has a deadline,
 * so a stuck socket or slow command costs its part of the message, never the message.
 * Configuration is read at every beat: destinations, interval, keys, amphora id and base path
 * follow PUT /1.0/config without a restart.
 */
export class HeartbeatLoop extends EventEmitter<{ beat: [BeatResult]; wedged: [SilentLoadBalancer] }> {
  readonly #config: () => AgentConfig;
  readonly #logger: Logger;
  readonly #lvsCommands: LvsCommands;
  readonly #ring: DestinationRing;
  readonly #sockets = new Map<4 | 6, Socket>();
  #counters: CounterStore | undefined;
  #seq = 0;
  #running = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #lastProblems = '';
  #lastSkip: string | undefined;
  readonly #memory = new StatsMemory();
  #withheld: string | undefined;

  constructor(options: HeartbeatLoopOptions) {
    super();
    this.#config = options.config;
    this.#logger = options.logger;
    this.#lvsCommands = options.lvsCommands ?? systemLvsCommands;
    this.#ring = new DestinationRing(options.logger, options.resolver ? { resolver: options.resolver } : {});
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Re-reads the schedule now (the interval may have changed). */
  configChanged(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    this.#running = false;
    for (const socket of this.#sockets.values()) socket.close();
    this.#sockets.clear();
    await this.#counters?.persist();
  }

  async #run(): Promise<void> {
    let lastStart = monotonicMs();
    while (!this.#stopped) {
      lastStart = monotonicMs();
      try {
        this.emit('beat', await this.beat());
      } catch (error) {
        // beat() handles its own failures; this is the last line of defence for the schedule.
        this.#logger.error({ err: errorMessage(error) }, 'heartbeat failed unexpectedly');
      }
      // Fixed rate: the next beat is due one interval after this one began (re-read while waiting).
      while (!this.#stopped) {
        const due = lastStart + this.#config().health_manager.heartbeat_interval * 1000;
        const wait = due - monotonicMs();
        if (wait <= 0) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  /** One heartbeat: gate, collect (bounded), build, sign, send. Never throws. */
  async beat(): Promise<BeatResult> {
    const startedAt = monotonicMs();
    const config = this.#config();
    const paths = pathsFor(config);
    const result: BeatResult = {
      startedAt,
      durationMs: 0,
      seq: undefined,
      skipped: undefined,
      destination: undefined,
      datagrams: [],
      sent: 0,
      poolsOmitted: false,
      problems: [],
    };
    const finish = () => {
      result.durationMs = monotonicMs() - startedAt;
      return result;
    };

    const skip = await vrrpSkipReason(paths).catch((error: Error) => `cannot check keepalived: ${error.message}`);
    if (skip !== undefined) {
      this.#logger.error(skip);
      this.#lastSkip = skip;
      result.skipped = skip;
      return finish();
    }
    if (this.#lastSkip !== undefined) this.#logger.info('keepalived is running again; heartbeats resume');
    this.#lastSkip = undefined;

    if (this.#counters?.path !== paths.statsCounters) this.#counters = new CounterStore(paths.statsCounters, this.#logger);
    const counters = this.#counters;
    await counters.load();

    const interval = config.health_manager.heartbeat_interval;
    let snapshot: Snapshot;
    try {
      snapshot = await collectSnapshot({
        paths,
        namespace: config.amphora_agent.network_namespace,
        budgetMs: collectionBudgetMs(interval),
        lvsCommands: this.#lvsCommands,
        memory: this.#memory,
      });
    } catch (error) {
      snapshot = emptySnapshot();
      snapshot.problems.push({ source: 'collector', message: errorMessage(error) });
    }
    result.problems = snapshot.problems;
    this.#reportProblems(snapshot.problems);
    const withheld = this.#wedgedPolicy(snapshot.silent);
    if (withheld !== undefined) {
      result.skipped = withheld;
      return finish();
    }

    const seq = this.#seq;
    this.#seq += 1;
    result.seq = seq;
    const message = buildMessage(config.amphora_agent.amphora_id ?? null, seq, snapshot, counters);
    if (snapshot.problems.length === 0) counters.retainOnly(new Set(snapshot.listeners.map((sample) => sample.listenerId)));
    const persisted = counters.persist();

    const { heartbeat_key: key, heartbeat_key_next: nextKey, heartbeat_encryption: encrypt } = config.health_manager;
    const keys = nextKey !== undefined && nextKey !== '' && nextKey !== key ? [key, nextKey] : [key];
    try {
      const encoded = await encodeHeartbeat(message, { keys, encrypt });
      result.datagrams = encoded.datagrams;
      result.poolsOmitted = encoded.poolsOmitted;
      if (encoded.poolsOmitted) {
        this.#logger.warn(
          { members: memberCount(message), jsonBytes: encoded.jsonBytes },
          'heartbeat too large for one datagram: sending listeners and statistics without pool and member statuses',
        );
      }
    } catch (error) {
      this.#logger.error({ err: errorMessage(error) }, 'cannot encode heartbeat');
      await persisted;
      return finish();
    }

    const destination = await this.#ring.next(config.health_manager.controller_ip_port_list);
    result.destination = destination;
    if (!destination) {
      this.#logger.error('No controller address found. Unable to send heartbeat.');
    } else {
      for (const datagram of result.datagrams) {
        if (await this.#send(datagram, destination)) result.sent += 1;
      }
      this.#logger.debug({ seq, to: destination.entry, bytes: result.datagrams[0]?.length }, 'heartbeat sent');
    }
    await persisted;
    return finish();
  }

  /** Asks for restarts of wedged haproxys; the reason heartbeats are withheld, if they are. */
  #wedgedPolicy(silent: SilentLoadBalancer[]): string | undefined {
    for (const entry of silent) {
      if (entry.misses % RESTART_AFTER_SILENT_BEATS === 0) this.emit('wedged', entry);
    }
    const longest = silent.reduce<SilentLoadBalancer | undefined>((worst, entry) => (!worst || entry.misses > worst.misses ? entry : worst), undefined);
    if (longest && longest.misses >= WITHHOLD_AFTER_SILENT_BEATS) {
      const reason = `haproxy of load balancer ${longest.lbId} has not answered for ${longest.misses} heartbeats: heartbeats withheld so the control plane fails this amphora over`;
      if (this.#withheld === undefined) this.#logger.error({ lbId: longest.lbId, misses: longest.misses }, reason);
      this.#withheld = reason;
      return reason;
    }
    if (this.#withheld !== undefined) this.#logger.info('haproxy answers again; heartbeats resume');
    this.#withheld = undefined;
    return undefined;
  }

  #reportProblems(problems: CollectionProblem[]): void {
    const summary = problems.map((problem) => `${problem.source}: ${problem.message}`).join('; ');
    if (summary !== '' && summary !== this.#lastProblems) {
      this.#logger.warn({ problems }, 'heartbeat sent with parts missing');
    } else if (summary === '' && this.#lastProblems !== '') {
      this.#logger.info('all heartbeat sources answer again');
    }
    this.#lastProblems = summary;
  }

  #socket(family: 4 | 6): Socket {
    let socket = this.#sockets.get(family);
    if (!socket) {
      socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.on('error', (error) => this.#logger.warn({ err: error.message }, 'heartbeat socket error'));
      socket.unref();
      this.#sockets.set(family, socket);
    }
    return socket;
  }

  /** Send errors (no route yet during boot, oversize) are logged at debug level and dropped. */
  #send(datagram: Buffer, destination: Destination): Promise<boolean> {
    return new Promise((resolve) => {
      try {
        this.#socket(destination.family).send(datagram, destination.port, destination.address, (error) => {
          if (error) this.#logger.debug({ err: error.message, to: destination.entry }, 'heartbeat send failed');
          resolve(!error);
        });
      } catch (error) {
        this.#logger.debug({ err: errorMessage(error), to: destination.entry }, 'heartbeat send failed');
        resolve(false);
      }
    });
  }
}
