/**
 * The agent's log: one JSON object per line on stdout, in the shape pino writes (`level` as a
 * number, `time` in epoch milliseconds, `pid`, `name`, bindings, fields, `msg`), so pino-pretty
 * and log shippers that know pino read it unchanged. Lines are written synchronously: the
 * agent logs a few lines a minute, and a line written before a crash is not lost in a buffer.
 */

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY } as const;
export type LevelName = keyof typeof LEVELS;

export interface LogMethod {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  /** Lines below this level are dropped; a child starts with its parent's level. */
  level: LevelName;
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
  /** A logger whose lines also carry `bindings`. */
  child(bindings: Record<string, unknown>): Logger;
  /** Lines are written as they come; kept for callers that end with a flush. */
  flush(): void;
}

/** Where lines go: stdout, or a test's stream. */
export interface LogSink {
  write(line: string): unknown;
}

/**
 * Keys, PEM bodies and heartbeat keys never reach a log line: fields with these names are
 * censored in a logged object and in the objects directly inside it, and so is the
 * Authorization header of a logged request.
 */
const REDACTED_KEYS = new Set(['key', 'heartbeatKey', 'heartbeat_key', 'heartbeat_key_next', 'pem', 'body']);
const CENSOR = '[redacted]';

function serializeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    type: error.constructor.name,
    message: error.message,
    stack: error.stack,
    ...(code === undefined ? {} : { code }),
    ...(error.cause === undefined ? {} : { cause: error.cause instanceof Error ? serializeError(error.cause) : error.cause }),
  };
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && !Buffer.isBuffer(value);
}

function redactedCopy(value: Record<string, unknown>, depth: number): Record<string, unknown> | unknown[] {
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {};
  for (const [name, field] of Object.entries(value)) {
    let shown: unknown = field;
    if (REDACTED_KEYS.has(name)) shown = CENSOR;
    else if (field instanceof Error) shown = serializeError(field);
    else if (depth === 0 && isPlainRecord(field)) shown = redactedCopy(field, 1);
    (copy as Record<string, unknown>)[name] = shown;
  }
  return copy;
}

/** The logged object as written: censored, errors as `{type, message, stack}`, never the caller's object. */
function loggedFields(fields: object): Record<string, unknown> {
  if (fields instanceof Error) return { err: serializeError(fields) };
  const shown = redactedCopy(fields as Record<string, unknown>, 0) as Record<string, unknown>;
  const request = shown.req;
  if (isPlainRecord(request) && isPlainRecord(request.headers) && 'authorization' in request.headers) {
    shown.req = { ...request, headers: { ...request.headers, authorization: CENSOR } };
  }
  return shown;
}

function line(level: number, bindings: Record<string, unknown>, fields: object | undefined, message: string | undefined): string {
  const record = { level, time: Date.now(), ...bindings, ...(fields ? loggedFields(fields) : {}), ...(message === undefined ? {} : { msg: message }) };
  try {
    return JSON.stringify(record);
  } catch (error) {
    // A cycle or a BigInt in the fields: the line still says what happened.
    return JSON.stringify({ level, time: record.time, ...bindings, msg: message, logError: `fields not serializable: ${String(error)}` });
  }
}

class JsonLogger implements Logger {
  level: LevelName;
  readonly #sink: LogSink;
  readonly #bindings: Record<string, unknown>;

  constructor(sink: LogSink, bindings: Record<string, unknown>, level: LevelName) {
    this.#sink = sink;
    this.#bindings = bindings;
    this.level = level;
  }

  #write(level: Exclude<LevelName, 'silent'>, first: object | string, message?: string): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    const text = typeof first === 'string' ? line(LEVELS[level], this.#bindings, undefined, first) : line(LEVELS[level], this.#bindings, first, message);
    this.#sink.write(`${text}\n`);
  }

  trace(first: object | string, message?: string): void {
    this.#write('trace', first, message);
  }

  debug(first: object | string, message?: string): void {
    this.#write('debug', first, message);
  }

  info(first: object | string, message?: string): void {
    this.#write('info', first, message);
  }

  warn(first: object | string, message?: string): void {
    this.#write('warn', first, message);
  }

  error(first: object | string, message?: string): void {
    this.#write('error', first, message);
  }

  fatal(first: object | string, message?: string): void {
    this.#write('fatal', first, message);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new JsonLogger(this.#sink, { ...this.#bindings, ...(redactedCopy(bindings, 0) as Record<string, unknown>) }, this.level);
  }

  flush(): void {}
}

let stdoutGuarded = false;

/** The agent's logger: `info` (or `debug`) and up, to `destination` or stdout. */
export function createLogger(options: { debug: boolean; destination?: LogSink }): Logger {
  if (!options.destination && !stdoutGuarded) {
    // A closed stdout (journald restarted) must cost log lines, never the agent and its heartbeats.
    process.stdout.on('error', () => undefined);
    stdoutGuarded = true;
  }
  return new JsonLogger(options.destination ?? process.stdout, { pid: process.pid, name: 'amphora-agent' }, options.debug ? 'debug' : 'info');
}

/** A logger that drops everything: for modules driven by tests without a log. */
export const silentLogger: Logger = new JsonLogger({ write: () => undefined }, {}, 'silent');
