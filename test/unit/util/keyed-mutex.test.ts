import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedMutex } from '../../../agent/util/keyed-mutex.ts';

test('work on one key runs one at a time, in arrival order; other keys run alongside', async () => {
  const locks = new KeyedMutex();
  const events: string[] = [];
  const job = (key: string, name: string, ms: number) =>
    locks.run(key, async () => {
      events.push(`${name}:start`);
      await sleep(ms);
      events.push(`${name}:end`);
      return name;
    });
  const results = await Promise.all([job('lb:a', 'a1', 40), job('lb:a', 'a2', 10), job('lb:b', 'b1', 5), job('lb:a', 'a3', 1)]);
  assert.deepEqual(results, ['a1', 'a2', 'b1', 'a3']);
  const order = events.filter((event) => event.startsWith('a'));
  assert.deepEqual(order, ['a1:start', 'a1:end', 'a2:start', 'a2:end', 'a3:start', 'a3:end']);
  assert.ok(events.indexOf('b1:end') < events.indexOf('a1:end'), 'another key is not held up');
  assert.equal(locks.isBusy('lb:a'), false);
});

test('a failure releases the lock for the next caller', async () => {
  const locks = new KeyedMutex();
  await assert.rejects(locks.run('k', async () => {
    throw new Error('boom');
  }));
  assert.equal(await locks.run('k', async () => 'next'), 'next');
});
