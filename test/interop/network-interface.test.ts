/**
 * Interface lookup and the SR-IOV VIP firewall through Octavia's own rest_api_driver
 * (python3-octavia) against the real agent, whose `network_namespace` is a namespace of this
 * test holding a veth "VIP port"; plus the reference's exact bodies over HTTPS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../agent/util/run-command.ts';
import { runOctaviaClient, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { createVethLab, labMac } from '../helpers/veth-lab.ts';

const lab = createVethLab();
let amphora: string;
let agent: AgentHandle;
const nftAvailable = (await runCommand('nft', ['--version'])).exitCode === 0;

before(async () => {
  amphora = await lab.addNamespace('amp');
  const tenant = await lab.addNamespace('ten');
  await lab.addVeth({ namespace: amphora, name: 'eth1', mac: labMac(lab.suffix, 1), peerNamespace: tenant, peerName: 'p1' });
  await lab.ip(amphora, 'addr', 'add', '203.0.113.4/24', 'dev', 'eth1');
  await lab.ip(amphora, 'addr', 'add', '2001:db8::4/64', 'dev', 'eth1', 'nodad');
  agent = await startAgentProcess({ extraConfig: { amphora_agent: [`network_namespace = ${amphora}`] } });
});

after(async () => {
  await agent?.destroy();
  await lab.cleanup();
});

test('get_interface_from_ip names the interface holding an address inside the namespace', async () => {
  const results = await runOctaviaClient(agent, [
    { op: 'get_interface_from_ip', ip: '203.0.113.4' },
    { op: 'get_interface_from_ip', ip: '2001:0db8:0000:0000:0000:0000:0000:0004' },
    { op: 'get_interface_from_ip', ip: '127.0.0.1' },
    { op: 'get_interface_from_ip', ip: '198.51.100.7' },
  ]);
  assert.deepEqual(results, [
    { ok: true, value: 'eth1' },
    { ok: true, value: 'eth1' },
    { ok: true, value: 'lo' },
    { ok: true, value: null },
  ]);
});

test('interface lookup answers the reference bodies', async () => {
  const found = await agent.request('GET', '/1.0/interface/2001:db8:0:0::4');
  assert.equal(found.status, 200);
  assert.equal(found.headers['content-type'], 'application/json');
  assert.deepEqual(found.json(), { message: 'OK', interface: 'eth1' });
  const invalid = await agent.request('GET', '/1.0/interface/203.0.113.300');
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.json(), { message: 'Invalid IP address' });
  const missing = await agent.request('GET', '/1.0/interface/10.9.8.7');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['content-type'], 'application/json');
  assert.deepEqual(missing.json(), { message: 'Error interface not found for IP address' });
});

test('the rules call through the driver writes and loads the rules; bad input is refused with the reference body', { skip: !nftAvailable }, async () => {
  const rules = [
    { protocol: 'TCP', cidr: null, port: 80 },
    { protocol: 'UDP', cidr: '192.0.2.0/24', port: 53 },
    { protocol: 'vrrp', cidr: '203.0.113.5/32', port: 112 },
  ];
  const results = await runOctaviaClient(agent, [
    { op: 'set_interface_rules', ip: '203.0.113.4', rules },
    { op: 'set_interface_rules', ip: '203.0.113.4', rules: [{ protocol: 'ICMP', cidr: null, port: 1 }] },
    { op: 'set_interface_rules', ip: '198.51.100.7', rules },
  ]);
  assert.equal(results[0]!.ok, true, results[0]!.message);
  assert.deepEqual(results[1], { ok: false, error: 'InvalidRequest', message: 'Invalid request' });
  assert.equal(results[2]!.error, 'AmpDriverNotImplementedError', 'a 404 reads as "not supported", as the control plane reads it');

  const file = await readFile(join(agent.basePath, 'nftables-vip.rules'), 'utf8');
  assert.match(file, /^ {2}chain amphora_vip_chain \{\n {6}tcp dport 80 accept\n {6}ip saddr 192\.0\.2\.0\/24 udp dport 53 accept\n {6}ip saddr 203\.0\.113\.5\/32 ip protocol 112 accept\n {2}\}\n\}\n$/mu);
  const listed = await runCommand('ip', ['netns', 'exec', amphora, 'nft', 'list', 'chain', 'inet', 'amphora_table', 'amphora_vip_chain']);
  assert.match(listed.output, /udp dport 53 accept/u);

  const wrongType = await agent.request('PUT', '/1.0/interface/203.0.113.4/rules', JSON.stringify(rules), { 'Content-Type': 'text/plain' });
  assert.equal(wrongType.status, 400);
  assert.deepEqual(wrongType.json(), { error: '400 Bad Request: Invalid rules information', http_code: 400 });
  const notJson = await agent.request('PUT', '/1.0/interface/203.0.113.4/rules', '[{', { 'Content-Type': 'application/json' });
  assert.equal(notJson.status, 400);
  assert.deepEqual(notJson.json(), { error: '400 Bad Request: Invalid rules information', http_code: 400 });
  assert.equal(await readFile(join(agent.basePath, 'nftables-vip.rules'), 'utf8'), file, 'refused calls leave the file');
});
