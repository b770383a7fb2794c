import { parentPort, workerData } from 'node:worker_threads';
import type { AgentConfig } from '../config/options.ts';
import { createLogger } from '../util/logger.ts';
import { HeartbeatLoop } from './heartbeat-loop.ts';
import type { BeatNote, WedgedNote, WorkerCommand, WorkerStart } from './sender.ts';

/**
 * The heartbeat's own thread: its timers and socket reads keep running while the API's event
 * loop is busy, as the reference's separate sender process does.
 */
const start = workerData as WorkerStart;
let config: AgentConfig = start.config;
const logger = createLogger({ debug: config.DEFAULT.debug }).child({ component: 'heartbeat' });
const loop = new HeartbeatLoop({ config: () => config, logger });

parentPort!.on('message', (command: WorkerCommand) => {
  if (command.type === 'config') {
    config = command.config;
    logger.level = config.DEFAULT.debug ? 'debug' : 'info';
    loop.configChanged();
  } else if (command.type === 'stop') {
    void loop.stop().finally(() => {
      logger.flush();
      parentPort!.close();
    });
  }
});

loop.on('beat', (beat) => {
  if (start.reportBeats) {
    parentPort!.postMessage({
      type: 'beat',
      startedAt: performance.timeOrigin + beat.startedAt,
      sent: beat.sent,
      seq: beat.seq,
      datagrams: beat.datagrams.length,
      bytes: beat.datagrams[0]?.length ?? 0,
      skipped: beat.skipped !== undefined,
    } satisfies BeatNote);
  }
});
loop.on('wedged', (silent) => {
  parentPort!.postMessage({ type: 'wedged', lbId: silent.lbId, misses: silent.misses } satisfies WedgedNote);
});
loop.start();
