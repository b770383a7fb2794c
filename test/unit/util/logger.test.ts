import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../agent/util/logger.ts';

function capture(debug = false) {
  const lines: string[] = [];
  const logger = createLogger({ debug, destination: { write: (line: string) => lines.push(line) } });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

test('a line is one JSON object in the shape pino writes', () => {
  const { logger, lines, records } = capture();
  logger.info({ lbId: 'lb-1' }, 'haproxy reloaded');
  logger.warn('plain message');
  assert.equal(lines.length, 2);
  assert.ok(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n')));
  const [first, second] = records();
  assert.deepEqual(Object.keys(first!), ['level', 'time', 'pid', 'name', 'lbId', 'msg']);
  assert.equal(first!.level, 30);
  assert.equal(first!.pid, process.pid);
  assert.equal(first!.name, 'amphora-agent');
  assert.ok(Math.abs(Number(first!.time) - Date.now()) < 60_000);
  assert.deepEqual([second!.level, second!.msg], [40, 'plain message']);
});

test('levels: debug only when asked, a child starts at its parent level and keeps its own', () => {
  const { logger, records } = capture(false);
  logger.debug('hidden');
  const child = logger.child({ component: 'heartbeat' });
  logger.level = 'debug';
  child.debug('still hidden');
  logger.debug('shown');
  child.error('child error');
  logger.level = 'silent';
  logger.fatal('nothing at silent');
  assert.deepEqual(records().map((record) => [record.msg, record.component]), [['shown', undefined], ['child error', 'heartbeat']]);
});

test('key material is censored at the top, one level down and in a request Authorization header', () => {
  const { logger, lines, records } = capture();
  const fields = {
    key: 'PRIVATE',
    pem: '-----BEGIN',
    heartbeat_key: 'hmac',
    config: { heartbeat_key_next: 'next', body: 'raw', interval: 10 },
    req: { id: 'r1', headers: { authorization: 'Bearer x', host: 'amp' } },
  };
  logger.info(fields, 'option changed');
  const [record] = records();
  assert.equal(record!.key, '[redacted]');
  assert.equal(record!.pem, '[redacted]');
  assert.equal(record!.heartbeat_key, '[redacted]');
  assert.deepEqual(record!.config, { heartbeat_key_next: '[redacted]', body: '[redacted]', interval: 10 });
  assert.deepEqual(record!.req, { id: 'r1', headers: { authorization: '[redacted]', host: 'amp' } });
  assert.doesNotMatch(lines[0]!, /PRIVATE|BEGIN|"hmac"|"next"|"raw"|Bearer/u);
  assert.equal(fields.key, 'PRIVATE', 'the caller object is left as it was');
  assert.equal(fields.req.headers.authorization, 'Bearer x');
  logger.child({ key: 'bound secret' }).info('bound');
  assert.equal(records()[1]!.key, '[redacted]');
});

test('errors are written with type, message, code and stack; unserializable fields still log the message', () => {
  const { logger, records } = capture();
  const failure = Object.assign(new Error('disk full', { cause: new RangeError('inner') }), { code: 'ENOSPC' });
  logger.error({ err: failure }, 'write failed');
  logger.error(new TypeError('bare error'));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  logger.warn({ cyclic, big: 1n }, 'odd fields');
  const [first, second, third] = records();
  const err = first!.err as Record<string, unknown>;
  assert.deepEqual([err.type, err.message, err.code], ['Error', 'disk full', 'ENOSPC']);
  assert.match(String(err.stack), /disk full/u);
  assert.deepEqual((err.cause as Record<string, unknown>).message, 'inner');
  assert.equal((second!.err as Record<string, unknown>).type, 'TypeError');
  assert.equal(third!.msg, 'odd fields');
  assert.match(String(third!.logError), /not serializable/u);
});
