/**
 * VIP and member network plugging with real kernel state: veth pairs play Nova's hot-plugged
 * ports (MACs chosen here), namespaces play the tenant network and the member network, and
 * traffic goes from a client through haproxy in the amphora namespace to a member.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NODE, restartAgentProcess, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { killHaproxyUnder, testHaproxyConfig, waitFor } from '../helpers/haproxy-fixtures.ts';
import { createVethLab, labMac, type VethLab } from '../helpers/veth-lab.ts';
import { runCommand } from '../../agent/util/run-command.ts';
import { closeSocket, inNetworkNamespace, openCaptureSocket, receiveFrame } from '../../agent/network/raw-sockets.ts';

let lab: VethLab;
let agent: AgentHandle;
let amphora: string;
let tenant: string;
let members: string;
let memberServer: ChildProcess | undefined;
const rootLinks: string[] = [];
const vipMac = () => labMac(lab.suffix, 1);
const memberMac = () => labMac(lab.suffix, 2);

async function must(file: string, args: string[]): Promise<string> {
  const result = await runCommand(file, args, { timeoutMs: 15_000 });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.output}`);
  return result.output;
}

/** A "hot-plugged port": one veth end in the agent's namespace with `mac`, the other in `peerNamespace`. */
async function hotPlug(name: string, mac: string, peerNamespace: string, peerName: string): Promise<void> {
  const peer = `${name}p`;
  await must('ip', ['link', 'add', name, 'address', mac, 'type', 'veth', 'peer', 'name', peer]);
  rootLinks.push(name);
  await must('ip', ['link', 'set', peer, 'netns', peerNamespace, 'name', peerName]);
  await must('ip', ['-n', peerNamespace, 'link', 'set', peerName, 'up']);
}

const json = <T>(text: string) => JSON.parse(text) as T;
const post = (path: string, body: unknown) => agent.request('POST', path, JSON.stringify(body), { 'Content-Type': 'application/json' });

const VIP_BODY = () => ({
  subnet_cidr: '203.0.113.0/24',
  gateway: '203.0.113.1',
  mac_address: vipMac(),
  vrrp_ip: '203.0.113.4',
  mtu: 1450,
  host_routes: [{ nexthop: '203.0.113.254', destination: '198.51.100.0/24' }],
  additional_vips: [{ subnet_cidr: '2001:db8::/64', ip_address: '2001:db8::10', gateway: '2001:db8::1', host_routes: [] }],
  is_sriov: false,
});

before(async () => {
  lab = createVethLab();
  amphora = `t-amp-${lab.suffix}`;
  tenant = await lab.addNamespace('tenant');
  members = await lab.addNamespace('member');
  await hotPlug(`pv${lab.suffix}`, vipMac(), tenant, 'gw');
  await must('ip', ['-n', tenant, 'addr', 'add', '203.0.113.1/24', 'dev', 'gw']);
  await must('ip', ['-n', tenant, 'addr', 'add', '2001:db8::1/64', 'dev', 'gw', 'nodad']);
  await must('ip', ['-n', tenant, 'addr', 'add', '203.0.113.50/24', 'dev', 'gw']);
  await must('ip', ['-n', tenant, 'addr', 'add', '2001:db8::50/64', 'dev', 'gw', 'nodad']);
  await hotPlug(`pm${lab.suffix}`, memberMac(), members, 'net');
  await must('ip', ['-n', members, 'addr', 'add', '10.0.0.20/24', 'dev', 'net']);
  agent = await startAgentProcess({ extraConfig: { amphora_agent: [`network_namespace = ${amphora}`] } });
});

after(async () => {
  memberServer?.kill('SIGKILL');
  await agent?.request('DELETE', '/1.0/listeners/lb-net').catch(() => undefined);
  await agent?.stop();
  if (agent) await killHaproxyUnder(agent.directory);
  await runCommand('ip', ['netns', 'del', amphora]);
  for (const link of rootLinks) await runCommand('ip', ['link', 'del', link]);
  for (const link of ['eth1', 'eth2', 'ens-vip', 'ens-mem']) await runCommand('ip', ['link', 'del', `${link}`]).catch(() => undefined);
  await lab?.cleanup();
  await agent?.destroy();
});

test('bad plug requests are refused before anything changes', async () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['/1.0/plug/vip/203.0.113.10', { gateway: null, mac_address: vipMac() }, 400, /Invalid subnet information/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), subnet_cidr: '203.0.113.1/24' }, 400, /Invalid VIP: .*host bits/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), subnet_cidr: 'nonsense' }, 400, /Invalid VIP/u],
    ['/1.0/plug/vip/not-an-ip', VIP_BODY(), 400, /Invalid VIP/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), gateway: '192.0.2.1' }, 400, /gateway 192\.0\.2\.1 is outside the subnet/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), vrrp_ip: 'x' }, 400, /Invalid VRRP Address/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), mtu: 12 }, 400, /mtu/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), mac_address: 'fa:16:3e:zz:00:01' }, 400, /mac_address/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), host_routes: [{ destination: '198.51.100.0/24' }] }, 400, /host_routes\[0\]/u],
    ['/1.0/plug/vip/fe80::1%25lo', VIP_BODY(), 400, /Invalid VIP/u],
    ['/1.0/plug/network', { fixed_ips: [] }, 400, /Invalid port information/u],
    ['/1.0/plug/network', { mac_address: memberMac(), fixed_ips: [{ ip_address: '10.0.0.300', subnet_cidr: '10.0.0.0/24' }] }, 400, /Invalid network port/u],
    ['/1.0/plug/network', { mac_address: memberMac(), fixed_ips: [{ ip_address: '10.0.1.5', subnet_cidr: '10.0.0.0/24' }] }, 400, /Invalid network port/u],
    ['/1.0/plug/vip/203.0.113.10', { ...VIP_BODY(), mac_address: 'fa:16:3e:ff:ff:ff' }, 404, /No suitable network interface found/u],
  ];
  for (const [path, body, status, pattern] of cases) {
    const answer = await post(path, body);
    assert.equal(answer.status, status, `${path} ${JSON.stringify(body)}: ${answer.text}`);
    assert.match(answer.text, pattern);
    assert.match(String(answer.headers['content-type']), /application\/json/u);
  }
  // Nothing moved, nothing written.
  assert.match(await must('ip', ['link', 'show', `pv${lab.suffix}`]), /state/u);
  await assert.rejects(readFile(join(agent.directory, 'interfaces', 'eth1.json')));
  await assert.rejects(readFile(join(agent.basePath, 'plugged_interfaces')));
});

test('a plug that fails half-way is undone: NIC back under its name, no file, no registry line', async () => {
  // IPv6 disabled in the namespace makes the VIP's IPv6 address fail after the NIC has moved.
  await runCommand('ip', ['netns', 'add', amphora]); // may exist already: the 404 above created it
  await must('ip', ['netns', 'exec', amphora, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  try {
    const answer = await post('/1.0/plug/vip/203.0.113.10', VIP_BODY());
    assert.equal(answer.status, 500, answer.text);
    assert.equal(json<{ message: string }>(answer.text).message, 'Error plugging VIP');
    assert.match(await must('ip', ['link', 'show', `pv${lab.suffix}`]), new RegExp(vipMac(), 'u'));
    assert.doesNotMatch(await must('ip', ['-n', amphora, 'link', 'show']), /eth1/u);
    await assert.rejects(readFile(join(agent.directory, 'interfaces', 'eth1.json')));
    assert.equal(await readFile(join(agent.basePath, 'plugged_interfaces'), 'utf8').catch(() => ''), '');
  } finally {
    await must('ip', ['netns', 'del', amphora]);
  }
});

test('plug/vip: eth1 in the namespace with the reference file, addresses, routes and rules', async () => {
  const answer = await post('/1.0/plug/vip/203.0.113.10', VIP_BODY());
  assert.equal(answer.status, 202, answer.text);
  assert.deepEqual(json(answer.text), {
    message: 'OK',
    details: 'VIPs plugged on interface eth1: 203.0.113.10, 2001:0db8:0000:0000:0000:0000:0000:0010',
  });
  const file = await readFile(join(agent.directory, 'interfaces', 'eth1.json'), 'utf8');
  // Octavia 11's format, so the reference's own tool reads it (test/interop/network-plug.test.ts).
  assert.equal(
    file,
    '{"name": "eth1", "addresses": [{"address": "203.0.113.4", "prefixlen": 24}, ' +
      '{"address": "203.0.113.10", "prefixlen": 32, "octavia_owned": true}, ' +
      '{"address": "2001:0db8:0000:0000:0000:0000:0000:0010", "prefixlen": 128, "octavia_owned": true}], ' +
      '"routes": [{"dst": "0.0.0.0/0", "gateway": "203.0.113.1", "flags": ["onlink"]}, ' +
      '{"dst": "0.0.0.0/0", "gateway": "203.0.113.1", "flags": ["onlink"], "table": 1}, ' +
      '{"dst": "203.0.113.0/24", "scope": "link"}, ' +
      '{"dst": "203.0.113.0/24", "prefsrc": "203.0.113.10", "scope": "link", "table": 1}, ' +
      '{"dst": "198.51.100.0/24", "gateway": "203.0.113.254", "flags": ["onlink"]}, ' +
      '{"dst": "198.51.100.0/24", "gateway": "203.0.113.254", "flags": ["onlink"], "table": 1}, ' +
      '{"dst": "::/0", "gateway": "2001:db8::1", "flags": ["onlink"]}, ' +
      '{"dst": "::/0", "gateway": "2001:db8::1", "flags": ["onlink"], "table": 1}, ' +
      '{"dst": "2001:0db8:0000:0000:0000:0000:0000:0000/64", "scope": "link"}, ' +
      '{"dst": "2001:0db8:0000:0000:0000:0000:0000:0000/64", "prefsrc": "2001:0db8:0000:0000:0000:0000:0000:0010", "scope": "link", "table": 1}], ' +
      '"rules": [{"src": "203.0.113.10", "src_len": 32, "table": 1}, {"src": "2001:0db8:0000:0000:0000:0000:0000:0010", "src_len": 128, "table": 1}], ' +
      '"scripts": {"up": [{"command": "octavia-agent-lvs-masquerade add ipv4 eth1"}, {"command": "octavia-agent-lvs-masquerade add ipv6 eth1"}], ' +
      '"down": [{"command": "octavia-agent-lvs-masquerade delete ipv4 eth1"}, {"command": "octavia-agent-lvs-masquerade delete ipv6 eth1"}]}, ' +
      '"mtu": 1450}',
  );
  assert.equal(await readFile(join(agent.basePath, 'plugged_interfaces'), 'utf8'), `${vipMac()} eth1\n`);
  const [link] = json<{ ifname: string; address: string; mtu: number; flags: string[] }[]>(await must('ip', ['-n', amphora, '-j', 'link', 'show', 'eth1']));
  assert.equal(link?.address, vipMac());
  assert.equal(link?.mtu, 1450);
  assert.ok(link?.flags.includes('UP'));
  const addresses = json<{ addr_info: { local: string; prefixlen: number }[] }[]>(await must('ip', ['-n', amphora, '-j', 'addr', 'show', 'eth1']))[0]!.addr_info.map(
    (info) => `${info.local}/${info.prefixlen}`,
  );
  for (const expected of ['203.0.113.4/24', '203.0.113.10/32', '2001:db8::10/128']) assert.ok(addresses.includes(expected), `${expected} in ${addresses}`);
  // Only routes of protocol static are listed: the ones the agent added, as the reference marks them.
  const routes4 = await must('ip', ['-n', amphora, '-4', 'route', 'show', 'table', 'all', 'proto', 'static']);
  assert.match(routes4, /default via 203\.0\.113\.1 dev eth1 table 1 onlink/u);
  assert.match(routes4, /203\.0\.113\.0\/24 dev eth1 table 1 scope link src 203\.0\.113\.10/u);
  assert.match(routes4, /198\.51\.100\.0\/24 via 203\.0\.113\.254 dev eth1 table 1 onlink/u);
  assert.match(routes4, /default via 203\.0\.113\.1 dev eth1 onlink/u);
  const rules = await must('ip', ['-n', amphora, 'rule', 'show']);
  assert.match(rules, /32000:\s+from 203\.0\.113\.10 lookup 1/u);
  assert.match(await must('ip', ['-n', amphora, '-6', 'rule', 'show']), /32000:\s+from 2001:db8::10 lookup 1/u);
  // The tool applied again, inside the namespace, converges: nothing is duplicated.
  const tool = await runCommand('ip', ['netns', 'exec', amphora, join(process.cwd(), 'dist', 'agent', 'cli', 'amphora-interface.js'), '--config-file', agent.configFile, 'up', 'all'], {
    env: { ...process.env, PATH: `${join(process.cwd(), 'node_modules', '.bin')}:${process.env.PATH ?? ''}` } as Record<string, string>,
  });
  assert.equal(tool.exitCode, 0, tool.output);
  assert.equal((await must('ip', ['-n', amphora, '-4', 'route', 'show', 'table', '1', 'proto', 'static'])).trim().split('\n').length, 3);
  assert.equal((await must('ip', ['-n', amphora, 'rule', 'show'])).split('\n').filter((line) => line.includes('32000:')).length, 1);
  const second = await post('/1.0/plug/vip/203.0.113.10', VIP_BODY());
  assert.equal(second.status, 409);
  assert.deepEqual(json(second.text), { message: 'Interface already exists' });
});

test('plug/network: eth2 with the fixed IP; traffic from a client through haproxy to a member, IPv4 and IPv6', { timeout: 60_000 }, async () => {
  const body = { mac_address: memberMac(), fixed_ips: [{ ip_address: '10.0.0.5', subnet_cidr: '10.0.0.0/24', host_routes: [], gateway: null }], mtu: 1500, is_sriov: false };
  // The member network must learn the new address at once: a gratuitous ARP from the plugged NIC.
  const [peer] = json<{ ifindex: number }[]>(await must('ip', ['-n', members, '-j', 'link', 'show', 'net']));
  const capture = inNetworkNamespace(members, () => openCaptureSocket(peer!.ifindex));
  let answer: Awaited<ReturnType<typeof post>>;
  try {
    answer = await post('/1.0/plug/network', body);
    const garp = await waitFor(async () => {
      for (let frame = receiveFrame(capture); frame; frame = receiveFrame(capture)) {
        const isArpRequest = frame.readUInt16BE(12) === 0x0806 && frame.length >= 42 && frame.readUInt16BE(20) === 1;
        if (isArpRequest && frame.subarray(28, 32).join('.') === '10.0.0.5' && frame.subarray(38, 42).join('.') === '10.0.0.5') return frame;
      }
      return undefined;
    }, 5_000, 'a gratuitous ARP for 10.0.0.5 on the member network');
    assert.equal([...garp.subarray(6, 12)].map((byte) => byte.toString(16).padStart(2, '0')).join(':'), memberMac());
  } finally {
    closeSocket(capture);
  }
  assert.equal(answer.status, 202, answer.text);
  assert.deepEqual(json(answer.text), { message: 'OK', details: 'Plugged on interface eth2' });
  assert.equal(await readFile(join(agent.basePath, 'plugged_interfaces'), 'utf8'), `${vipMac()} eth1\n${memberMac()} eth2\n`);
  const replug = await post('/1.0/plug/network', body);
  assert.equal(replug.status, 202);
  assert.deepEqual(json(replug.text), { message: 'OK', details: 'Updated existing interface eth2' });

  memberServer = spawn('ip', ['netns', 'exec', members, NODE, '-e', "require('http').createServer((q, s) => s.end('member-answer')).listen(8080, '10.0.0.20')"], { stdio: 'ignore' });
  const config = testHaproxyConfig({ basePath: agent.basePath, lbId: 'lb-net', listenerId: 'listener', port: 80, memberPorts: [8080] })
    .replace('    bind 127.0.0.1:80', '    bind 203.0.113.10:80\n    bind 2001:db8::10:80')
    .replace('127.0.0.1:8080', '10.0.0.20:8080');
  assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/lb-net/haproxy`, config)).status, 202);
  assert.equal((await agent.request('PUT', '/1.0/loadbalancer/lb-net/start')).status, 202);
  for (const url of ['http://203.0.113.10/', 'http://[2001:db8::10]/']) {
    const served = await waitFor(async () => {
      const result = await runCommand('ip', ['netns', 'exec', tenant, 'curl', '-s', '--max-time', '2', url]);
      return result.output === 'member-answer' ? result.output : undefined;
    }, 15_000, `an answer through ${url}`);
    assert.equal(served, 'member-answer');
  }
});

test('agent restart after a "reboot": NICs back in the root namespace are moved in and re-plugged', { timeout: 60_000 }, async () => {
  await agent.stop();
  await killHaproxyUnder(agent.directory);
  // A reboot: the namespace is gone and Nova's ports come back under kernel names.
  await must('ip', ['-n', amphora, 'link', 'set', 'eth1', 'netns', String(process.pid), 'name', 'ens-vip']);
  await must('ip', ['-n', amphora, 'link', 'set', 'eth2', 'netns', String(process.pid), 'name', 'ens-mem']);
  await must('ip', ['netns', 'del', amphora]);
  agent = await restartAgentProcess(agent);
  const links = await must('ip', ['-n', amphora, '-br', 'link']);
  assert.match(links, /^eth1@?\S*\s+UP/mu);
  assert.match(links, /^eth2@?\S*\s+UP/mu);
  assert.match(links, /^lo\s+UNKNOWN/mu);
  assert.match(await must('ip', ['-n', amphora, '-br', 'addr', 'show', 'eth1']), /203\.0\.113\.10\/32/u);
  assert.match(await must('ip', ['-n', amphora, 'rule', 'show']), /32000:\s+from 203\.0\.113\.10 lookup 1/u);
  assert.equal((await must('ip', ['netns', 'exec', amphora, 'sysctl', '-n', 'net.ipv4.ip_nonlocal_bind'])).trim(), '1');
  const served = await waitFor(async () => {
    const result = await runCommand('ip', ['netns', 'exec', tenant, 'curl', '-s', '--max-time', '2', 'http://203.0.113.10/']);
    return result.output === 'member-answer' ? result.output : undefined;
  }, 15_000, 'an answer through the VIP after the reboot');
  assert.equal(served, 'member-answer');
  assert.equal(json<{ name: string }>(await readFile(join(agent.directory, 'interfaces', 'lo.json'), 'utf8')).name, 'lo');
});

