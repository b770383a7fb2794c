import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Keys, PEM bodies and heartbeat keys never reach a log line: these paths are censored
 * wherever they appear in a logged object.
 */
const REDACTED_PATHS = [
  'key',
  'heartbeatKey',
  'heartbeat_key',
  'heartbeat_key_next',
  'pem',
  'body',
  'req.headers.authorization',
  '*.key',
  '*.heartbeat_key',
  '*.heartbeat_key_next',
  '*.pem',
  '*.body',
];

export function createLogger(options: { debug: boolean; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      name: 'amphora-agent',
      level: options.debug ? 'debug' : 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ sync: false }),
  );
}

/** A logger that drops everything: for modules driven by tests without a log. */
export const silentLogger: Logger = pino({ level: 'silent' });
