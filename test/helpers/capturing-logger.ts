import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../agent/util/logger.ts';

/** A debug-level logger whose JSON lines are kept in `lines`, for tests that assert on logs. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    debug: true,
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  return { logger, lines };
}
