import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capturingLogger } from '../../helpers/capturing-logger.ts';
import { DestinationRing, splitHostPort, systemResolver } from '../../../agent/heartbeat/destinations.ts';
import { silentLogger } from '../../../agent/util/logger.ts';

test('splits host and port as the reference does', () => {
  assert.deepEqual(splitHostPort('192.0.2.20:5555'), { host: '192.0.2.20', port: 5555 });
  assert.deepEqual(splitHostPort('[2001:db8::f00d]:5555'), { host: '2001:db8::f00d', port: 5555 });
  assert.deepEqual(splitHostPort('2001:0db8::f00d:5555'), { host: '2001:0db8::f00d', port: 5555 });
  assert.deepEqual(splitHostPort('fe80::ff:fe00:cafe%eth0:5555'), { host: 'fe80::ff:fe00:cafe%eth0', port: 5555 });
  assert.deepEqual(splitHostPort('controller.example:5555'), { host: 'controller.example', port: 5555 });
  for (const bad of ['192.0.2.20', ':5555', '192.0.2.20:', '192.0.2.20:http', '192.0.2.20:70000', '192.0.2.20:0']) {
    assert.equal(splitHostPort(bad), undefined, bad);
  }
});

test('round robin over three entries, restarting when the list changes', async () => {
  const ring = new DestinationRing(silentLogger);
  const list = ['192.0.2.1:1', '192.0.2.2:2', '[2001:db8::3]:3'];
  const order = [];
  for (let index = 0; index < 4; index += 1) order.push((await ring.next(list))?.entry);
  assert.deepEqual(order, ['192.0.2.1:1', '192.0.2.2:2', '[2001:db8::3]:3', '192.0.2.1:1']);
  const changed = ['192.0.2.9:9', '192.0.2.2:2'];
  assert.equal((await ring.next(changed))?.entry, '192.0.2.9:9');
  assert.deepEqual(await ring.next(['192.0.2.2:2']), { entry: '192.0.2.2:2', address: '192.0.2.2', port: 2, family: 4 });
  assert.equal(await ring.next([]), undefined);
  assert.equal(await ring.next(['nonsense']), undefined);
});

test('the system resolver: localhost resolves, a name that cannot exist is skipped without throwing', async () => {
  const ring = new DestinationRing(silentLogger);
  const list = ['no-such-controller.invalid:5555', 'localhost:5555'];
  const destination = await ring.next(list);
  assert.equal(destination?.entry, 'localhost:5555');
  assert.match(destination!.address, /^(127\.0\.0\.1|::1)$/u);
  await assert.rejects(systemResolver('no-such-controller.invalid'));
});

test('a failed lookup is retried on the entry\'s next turn; a slow one does not hold the heartbeat', async () => {
  // Injected resolver: the only way to make a real name fail, then succeed, on demand.
  let failures = 1;
  const resolver = async (host: string) => {
    if (host === 'slow.example') return new Promise<never>(() => undefined);
    if (failures-- > 0) throw new Error('SERVFAIL');
    return { address: '192.0.2.50', family: 4 as const };
  };
  const ring = new DestinationRing(silentLogger, { resolver, lookupTimeoutMs: 100 });
  const list = ['flaky.example:5555', '192.0.2.1:1'];
  assert.equal((await ring.next(list))?.entry, '192.0.2.1:1');
  assert.deepEqual(await ring.next(list), { entry: 'flaky.example:5555', address: '192.0.2.50', port: 5555, family: 4 });
  const started = Date.now();
  assert.equal((await ring.next(['slow.example:1', '192.0.2.1:1']))?.entry, '192.0.2.1:1');
  assert.ok(Date.now() - started < 1000);
});

test('many names that never resolve do not hold the heartbeat; a new list replaces their lookups', async () => {
  // Injected resolver: names that hang forever cannot be produced with the system resolver on demand.
  let started = 0;
  const resolver = async () => {
    started += 1;
    return new Promise<never>(() => undefined);
  };
  const ring = new DestinationRing(silentLogger, { resolver, lookupTimeoutMs: 200 });
  const hanging = Array.from({ length: 10_000 }, (_, index) => `controller-${index}.example:5555`);
  const begin = Date.now();
  const destination = await ring.next([...hanging, '192.0.2.9:5555']);
  assert.equal(destination?.entry, '192.0.2.9:5555');
  assert.ok(Date.now() - begin < 2_000, `took ${Date.now() - begin} ms`);
  assert.ok(started <= 4, `lookups in flight are bounded (${started} started)`);
  const corrected = Date.now();
  assert.equal((await ring.next(['192.0.2.10:5555']))?.entry, '192.0.2.10:5555');
  assert.ok(Date.now() - corrected < 50, 'the corrected list does not wait for the old lookups');
});

test('a name that keeps failing is logged once, not on every heartbeat, and its recovery once', async () => {
  const { logger, lines } = capturingLogger();
  let failing = true;
  const resolver = async () => {
    if (failing) throw new Error('ENOTFOUND');
    return { address: '192.0.2.60', family: 4 as const };
  };
  const ring = new DestinationRing(logger, { resolver, lookupTimeoutMs: 100 });
  const list = ['gone.example:5555', '192.0.2.1:1'];
  for (let beat = 0; beat < 20; beat += 1) await ring.next(list);
  failing = false;
  for (let beat = 0; beat < 4; beat += 1) await ring.next(list);
  logger.flush();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(lines.filter((line) => line.includes('cannot resolve controller address')).length, 1, lines.join(''));
  assert.equal(lines.filter((line) => line.includes('controller address resolves again')).length, 1, lines.join(''));
});
