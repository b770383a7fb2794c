import { Worker } from 'node:worker_threads';
import type { AgentContext } from '../context.ts';
import type { AgentConfig } from '../config/options.ts';

export type WorkerCommand = { type: 'config'; config: AgentConfig } | { type: 'stop' };

export interface WorkerStart {
  config: AgentConfig;
  /** Post a note to the parent after every beat (benchmarks and tests). */
  reportBeats: boolean;
}

export interface BeatNote {
  type: 'beat';
  /** Epoch milliseconds when the beat began. */
  startedAt: number;
  sent: number;
  seq: number | undefined;
  /** Datagrams built, size of the first, and whether the beat was skipped on purpose. */
  datagrams: number;
  bytes: number;
  skipped: boolean;
}

/** A running haproxy whose stats socket has not answered for `misses` heartbeats in a row. */
export interface WedgedNote {
  type: 'wedged';
  lbId: string;
  misses: number;
}

export interface HeartbeatSender {
  start(): void;
  stop(): Promise<void>;
}

const RESTART_DELAY_MS = 1000;
const STOP_TIMEOUT_MS = 5000;

/**
 * Runs the heartbeat on a worker thread, fed with every configuration change. If the thread
 * dies it is started again: a missing heartbeat makes the control plane fail the amphora over.
 */
/** The worker module beside this one: `.ts` when run from sources, `.js` once compiled. */
const WORKER_URL = new URL(`./sender-worker${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url);

export function createHeartbeatSender(
  context: Pick<AgentContext, 'config' | 'logger'>,
  options: { onBeat?: (note: BeatNote) => void; onWedged?: (note: WedgedNote) => void } = {},
): HeartbeatSender {
  const { logger } = context;
  let worker: Worker | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;

  const onChange = (config: AgentConfig) => worker?.postMessage({ type: 'config', config } satisfies WorkerCommand);

  const spawn = () => {
    const start: WorkerStart = { config: context.config.current, reportBeats: options.onBeat !== undefined };
    const current = new Worker(WORKER_URL, { workerData: start });
    worker = current;
    current.on('message', (note: BeatNote | WedgedNote) => {
      if (note.type === 'beat') options.onBeat?.(note);
      else options.onWedged?.(note);
    });
    current.on('error', (error) => logger.error({ err: error.message }, 'heartbeat thread failed'));
    current.on('exit', (code) => {
      if (worker === current) worker = undefined;
      if (stopping) return;
      logger.error({ code }, 'heartbeat thread exited; restarting it');
      restartTimer = setTimeout(spawn, RESTART_DELAY_MS);
    });
  };

  return {
    start() {
      if (worker || restartTimer) return;
      stopping = false;
      context.config.on('change', onChange);
      spawn();
    },
    async stop() {
      stopping = true;
      context.config.off('change', onChange);
      clearTimeout(restartTimer);
      restartTimer = undefined;
      const current = worker;
      if (!current) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.postMessage({ type: 'stop' } satisfies WorkerCommand);
      const timer = setTimeout(() => void current.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      worker = undefined;
    },
  };
}
