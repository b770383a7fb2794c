import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NetworkStatsSampler, readNetworkStats } from '../../../agent/info/network-stats.ts';
import { runCommand } from '../../../agent/util/run-command.ts';
import { createVethLab } from '../../helpers/veth-lab.ts';

const NETNS_DIR = '/run/netns';

test('interface counters are read inside the namespace: eth* links only, the kernel byte counts', { timeout: 30_000 }, async (t) => {
  const lab = createVethLab();
  t.after(() => lab.cleanup());
  const amphora = await lab.addNamespace('amp');
  const tenant = await lab.addNamespace('ten');
  await lab.addVeth({ namespace: amphora, name: 'eth1', peerNamespace: tenant, peerName: 'p1' });
  await lab.addVeth({ namespace: amphora, name: 'eth7', peerNamespace: tenant, peerName: 'p7' });
  await lab.addVeth({ namespace: amphora, name: 'other0', peerNamespace: tenant, peerName: 'p0' });
  await lab.ip(amphora, 'addr', 'add', '203.0.113.10/24', 'dev', 'eth1');
  await lab.ip(tenant, 'addr', 'add', '203.0.113.1/24', 'dev', 'p1');
  // Traffic both ways: ARP, then a refused TCP connection (SYN in, RST out). curl's exit 7
  // ("couldn't connect") proves the RST came back; a timeout or a failed `ip` is another code.
  for (let i = 0; i < 3; i++) {
    const attempt = await runCommand('ip', ['netns', 'exec', tenant, 'curl', '-s', '-m', '1', 'http://203.0.113.10:9/']);
    assert.equal(attempt.exitCode, 7, `connection attempt ${i}: ${attempt.output}`);
  }

  const sysfs = async (link: string, counter: string) => Number(await lab.exec(amphora, 'cat', `/sys/class/net/${link}/statistics/${counter}`));
  const before = { tx: await sysfs('eth1', 'tx_bytes'), rx: await sysfs('eth1', 'rx_bytes') };
  const stats = await readNetworkStats(amphora);
  const after = { tx: await sysfs('eth1', 'tx_bytes'), rx: await sysfs('eth1', 'rx_bytes') };

  assert.deepEqual(Object.keys(stats).sort(), ['eth1', 'eth7'], 'lo and non-eth links left out, nothing from the root namespace');
  const eth1 = stats.eth1!;
  assert.ok(before.rx >= 3 * 60 && before.tx >= 3 * 40, 'the connection attempts arrived and were answered');
  assert.ok(eth1.network_rx >= before.rx && eth1.network_rx <= after.rx, `rx ${eth1.network_rx} within ${before.rx}..${after.rx}`);
  assert.ok(eth1.network_tx >= before.tx && eth1.network_tx <= after.tx, `tx ${eth1.network_tx} within ${before.tx}..${after.tx}`);
  assert.ok(Number.isInteger(stats.eth7!.network_rx) && Number.isInteger(stats.eth7!.network_tx));
});

test('a namespace that does not exist yet has no interfaces; a failing `ip` is an error, not an empty answer', async (t) => {
  assert.deepEqual(await readNetworkStats(`t-none-${randomBytes(3).toString('hex')}`), {});
  // A name under /run/netns that is no namespace mount: the real `ip -n` refuses to enter it.
  const broken = `t-broken-${randomBytes(3).toString('hex')}`;
  await mkdir(NETNS_DIR, { recursive: true });
  await writeFile(join(NETNS_DIR, broken), '');
  t.after(() => rm(join(NETNS_DIR, broken), { force: true }));
  await assert.rejects(readNetworkStats(broken), /ip link show failed/u);
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
