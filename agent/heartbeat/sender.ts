import type { AgentContext } from '../context.ts';
import { HeartbeatLoop } from './heartbeat-loop.ts';
import type { SilentLoadBalancer } from './snapshot.ts';
import { wallTimeOf } from '../util/clock.ts';

export interface BeatNote {
  /** Epoch milliseconds when the beat began. */
  startedAt: number;
  sent: number;
  seq: number | undefined;
  /** Datagrams built, size of the first, and whether the beat was skipped on purpose. */
  datagrams: number;
  bytes: number;
  skipped: boolean;
}

export interface HeartbeatSender {
  start(): void;
  stop(): Promise<void>;
}

export interface HeartbeatSenderOptions {
  /** After every beat (benchmarks and tests). */
  onBeat?: (note: BeatNote) => void;
  /** A running haproxy whose stats socket has stayed silent (docs/heartbeat.md, wedged policy). */
  onWedged?: (silent: SilentLoadBalancer) => void;
}

/**
 * Runs the heartbeat on the agent's event loop, following every configuration change. Every
 * step of a beat is asynchronous and bounded (collection deadline, non-blocking send) and the
 * agent's own long work runs elsewhere (model preparation on a thread of its own), so API work
 * delays a beat by one request's synchronous slice at most (`npm run bench -- heartbeat`). An
 * agent whose event loop is stuck stops its heartbeats, and the control plane fails the amphora
 * over: the same rule as for a wedged haproxy. A thread of its own cost about 14 MB, a fifth of
 * the agent's memory, and kept heartbeats coming from an agent that could no longer serve.
 */
export function createHeartbeatSender(context: Pick<AgentContext, 'config' | 'logger'>, options: HeartbeatSenderOptions = {}): HeartbeatSender {
  const logger = context.logger.child({ component: 'heartbeat' });
  let loop: HeartbeatLoop | undefined;
  const onChange = () => {
    logger.level = context.logger.level;
    loop?.configChanged();
  };

  return {
    start() {
      if (loop) return;
      loop = new HeartbeatLoop({ config: () => context.config.current, logger });
      loop.on('beat', (beat) =>
        options.onBeat?.({
          startedAt: wallTimeOf(beat.startedAt),
          sent: beat.sent,
          seq: beat.seq,
          datagrams: beat.datagrams.length,
          bytes: beat.datagrams[0]?.length ?? 0,
          skipped: beat.skipped !== undefined,
        }),
      );
      loop.on('wedged', (silent) => options.onWedged?.(silent));
      context.config.on('change', onChange);
      loop.start();
    },
    async stop() {
      const current = loop;
      if (!current) return;
      loop = undefined;
      context.config.off('change', onChange);
      await current.stop();
    },
  };
}
