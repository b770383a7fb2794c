import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkStatsSampler, readNetworkStats } from '../../../agent/info/network-stats.ts';

test('interface counters come from the real links, eth* only', async () => {
  const stats = await readNetworkStats('');
  for (const [name, counters] of Object.entries(stats)) {
    assert.match(name, /^eth/u);
    assert.ok(Number.isInteger(counters.network_rx) && Number.isInteger(counters.network_tx));
  }
  assert.deepEqual(await readNetworkStats('no-such-namespace-for-sure'), {});
});

test('the sampler reads at most once per period and shares a sample between callers', async () => {
  let reads = 0;
  const sampler = new NetworkStatsSampler(200, async (namespace) => {
    reads++;
    return { [`eth${reads}`]: { network_rx: reads, network_tx: namespace.length } };
  });
  const [first, second] = await Promise.all([sampler.sample('ns'), sampler.sample('ns')]);
  assert.equal(reads, 1);
  assert.deepEqual(first, second);
  await sampler.sample('other');
  assert.equal(reads, 2, 'another namespace is another sample');
  await new Promise((done) => setTimeout(done, 250));
  assert.deepEqual(await sampler.sample('other'), { eth3: { network_rx: 3, network_tx: 5 } });
});
