/**
 * amphoractl with two agents: `loadbalancer create --topology ACTIVE_STANDBY --peer-url ...`
 * builds one model naming both amphorae, saves it on both, and each agent renders and runs its
 * own keepalived VRRP configuration; listeners, pools and members follow on both. Real agents,
 * haproxy and keepalived in the two-amphora lab (test/helpers/vrrp-lab.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runAmphoractl } from '../helpers/agent-harness.ts';
import { waitFor } from '../helpers/haproxy-fixtures.ts';
import { createVrrpLab, MEMBER, VIP, type VrrpLab } from '../helpers/vrrp-lab.ts';

let lab: VrrpLab;

before(async () => {
  lab = await createVrrpLab({ checkInterval: 1, failCount: 2, successCount: 2, garpRefreshInterval: 5, garpRefreshCount: 2, advertInt: 1 });
  await lab.plug();
});

after(async () => {
  await lab?.cleanup();
});

async function ctl(...args: string[]): Promise<string> {
  const [first, second] = lab.amphorae;
  const peer = ['--peer-url', second!.agent.baseUrl, '--peer-cert', second!.agent.pki.files.client, '--peer-cacert', second!.agent.pki.files.ca];
  const result = await runAmphoractl(first!.agent, [...peer, ...args]);
  assert.equal(result.code, 0, `amphoractl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('an ACTIVE_STANDBY load balancer on two agents: one MASTER holds the VIP, traffic flows, the peer takes over', async () => {
  const [first, second] = lab.amphorae;
  // Without the peer the command is refused before anything is created.
  const refused = await runAmphoractl(first!.agent, [
    'loadbalancer', 'create', '--name', 'ha', '--vip-address', VIP, '--topology', 'ACTIVE_STANDBY',
    '--vip-subnet', '203.0.113.0/24', '--vrrp-address', first!.vrrpIp, '--peer-vrrp-address', second!.vrrpIp,
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /--peer-url/u);

  const created = JSON.parse(
    await ctl(
      'loadbalancer', 'create', '--name', 'ha', '--vip-address', VIP, '--topology', 'ACTIVE_STANDBY',
      '--vip-subnet', '203.0.113.0/24', '--vip-gateway', '203.0.113.1',
      '--vrrp-address', first!.vrrpIp, '--peer-vrrp-address', second!.vrrpIp, '-f', 'json',
    ),
  ) as { id: string; topology: string };
  assert.equal(created.topology, 'ACTIVE_STANDBY');
  lab.track(created.id);
  for (const amphora of [first!, second!]) {
    const config = await readFile(join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.conf'), 'utf8');
    assert.match(config, new RegExp(`priority ${amphora === first ? 100 : 90}\\n`, 'u'));
    assert.match(config, new RegExp(`unicast_peer \\{\\n\\s+${(amphora === first ? second! : first!).vrrpIp.replaceAll('.', '\\.')}\\n`, 'u'));
  }
  await ctl('listener', 'create', '--name', 'web', '--protocol', 'HTTP', '--protocol-port', '82', 'ha');
  await ctl('pool', 'create', '--name', 'web', '--lb-algorithm', 'ROUND_ROBIN', '--protocol', 'HTTP', '--listener', 'web');
  await ctl('member', 'create', '--address', MEMBER, '--protocol-port', '8080', 'web');
  await waitFor(async () => (await lab.vipHolders()).length === 1, 20_000, 'one amphora to hold the VIP');
  assert.equal(await waitFor(() => lab.getThroughVip(1, 82), 15_000, 'traffic through the VIP'), 'member');

  // The holder's keepalived stopped: the other one takes the VIP and serves the same listener.
  const [holderName] = await lab.vipHolders();
  const holder = lab.amphorae.find((amphora) => amphora.name === holderName)!;
  const other = holder === first ? second! : first!;
  assert.equal((await holder.agent.request('PUT', '/1.0/vrrp/stop')).status, 202);
  await waitFor(async () => (await lab.vipHolders()).join() === other.name, 20_000, 'the peer to take the VIP');
  assert.equal(await waitFor(() => lab.getThroughVip(1, 82), 15_000, 'traffic through the VIP on the peer'), 'member');

  await ctl('loadbalancer', 'delete', 'ha', '--cascade');
  for (const amphora of [first!, second!]) {
    assert.equal(await lab.keepalivedPid(amphora), undefined, `${amphora.name} keepalived stopped`);
    assert.equal((await amphora.agent.request('GET', `/1.0/loadbalancer/${created.id}/haproxy`)).status, 404);
    // The delete refreshed the check: nothing left to serve, nothing to fail.
    assert.equal(await readFile(join(amphora.agent.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'), 'utf8'), 'exit 0');
  }
});
