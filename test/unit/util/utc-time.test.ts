import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoUtc } from '../../../agent/util/utc-time.ts';

test('isoUtc writes what toISOString writes, from epoch to year 9999', () => {
  const samples = [0, 1, 999, 86_399_999, Date.UTC(2000, 1, 29, 23, 59, 59, 7), Date.UTC(1950, 0, 1), Date.UTC(2050, 11, 31, 12), Date.UTC(9999, 11, 31, 23, 59, 59, 999), -1, Date.UTC(101, 5, 6)];
  for (let seed = 1; seed <= 200; seed += 1) samples.push(Math.floor(((seed * 2_654_435_761) % 4_294_967_296) * 58_000));
  for (const epochMs of samples) assert.equal(isoUtc(epochMs), new Date(epochMs).toISOString(), String(epochMs));
});

test('isoUtc refuses an invalid time as toISOString does', () => {
  assert.throws(() => isoUtc(Number.NaN), RangeError);
});
