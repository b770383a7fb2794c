import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/logger.ts';
import { monotonicMs } from '../util/clock.ts';

/**
 * One line per answered request, as pino-http writes it (`req` {id, method, url}, `res`
 * {statusCode}, `responseTime` in ms, "request completed"), at error level for a 5xx. Returns
 * the request's logger: every line a route logs carries the same request id.
 */
export function logRequest(logger: Logger, request: IncomingMessage, response: ServerResponse): Logger {
  const started = monotonicMs();
  const log = logger.child({ req: { id: randomUUID(), method: request.method, url: request.url } });
  const answered = (message: string) => {
    const fields = { res: { statusCode: response.statusCode }, responseTime: Math.round(monotonicMs() - started) };
    if (response.statusCode >= 500) log.error(fields, message);
    else log.info(fields, message);
  };
  response.once('finish', () => answered('request completed'));
  response.once('close', () => {
    if (!response.writableFinished) answered('request aborted');
  });
  return log;
}
