/**
 * The SR-IOV VIP firewall against the real kernel: nftables rules loaded inside an "amphora"
 * namespace, traffic from a "tenant" namespace through a veth pair, file text byte for byte.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyVipRules, loadVipFirewall, parseVipRules, renderVipRuleset, VipFirewallError, type VipFirewallTarget } from '../../agent/network/nftables.ts';
import { InterfaceService } from '../../agent/network/interface-service.ts';
import { refusalAnswer } from '../helpers/refusal.ts';
import { runCommand } from '../../agent/util/run-command.ts';
import { lifecycleContext } from '../helpers/lifecycle-context.ts';
import { createVethLab, labMac, type VethLab } from '../helpers/veth-lab.ts';

const SERVER = `
const http = require('node:http');
for (const port of process.argv.slice(1)) {
  http.createServer((q, s) => s.end('port ' + port)).listen(Number(port), '::');
}
setInterval(() => {}, 1000);
`;

/** HTTP servers on `ports` inside `namespace`, stopped by the returned function. */
async function serveIn(namespace: string, ports: number[]): Promise<() => void> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', SERVER, ...ports.map(String)], { stdio: 'ignore' });
  const stop = () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  // Listening once the ports answer from inside the namespace.
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = await runCommand('ip', ['netns', 'exec', namespace, 'curl', '-s', '-m', '1', `http://127.0.0.1:${ports[0]}/`]);
    if (probe.output === `port ${ports[0]}`) return stop;
    await sleep(100);
  }
  stop();
  throw new Error('test servers did not start');
}

/** Whether an HTTP GET from inside `namespace` gets the server's answer within a second. */
async function reaches(namespace: string, url: string): Promise<boolean> {
  const result = await runCommand('ip', ['netns', 'exec', namespace, 'curl', '-s', '-m', '1', url]);
  return result.exitCode === 0 && result.output.startsWith('port ');
}

async function ruleset(namespace: string): Promise<string> {
  const result = await runCommand('ip', ['netns', 'exec', namespace, 'nft', 'list', 'ruleset']);
  assert.equal(result.exitCode, 0, result.output);
  return result.output;
}

const nftAvailable = (await runCommand('nft', ['--version'])).exitCode === 0;

interface Lab {
  lab: VethLab;
  amphora: string;
  tenant: string;
  target: VipFirewallTarget;
  stop: (() => void)[];
}

async function setUp(t: TestContext): Promise<Lab> {
  const lab = createVethLab();
  const directory = await mkdtemp(join(tmpdir(), 'vip-firewall-'));
  const stop: (() => void)[] = [];
  t.after(async () => {
    for (const fn of stop) fn();
    await lab.cleanup();
    await rm(directory, { recursive: true, force: true });
  });
  const amphora = await lab.addNamespace('amp');
  const tenant = await lab.addNamespace('ten');
  await lab.addVeth({ namespace: amphora, name: 'eth1', mac: labMac(lab.suffix, 1), peerNamespace: tenant, peerName: 'p1' });
  await lab.ip(amphora, 'addr', 'add', '203.0.113.10/24', 'dev', 'eth1');
  await lab.ip(tenant, 'addr', 'add', '203.0.113.1/24', 'dev', 'p1');
  stop.push(await serveIn(amphora, [80, 81]));
  stop.push(await serveIn(tenant, [8080]));
  return { lab, amphora, tenant, target: { rulesFile: join(directory, 'nftables-vip.rules'), namespace: amphora }, stop };
}

const SPEC_RULES = [
  { protocol: 'TCP', cidr: null, port: 80 },
  { protocol: 'UDP', cidr: '192.0.2.0/24', port: 53 },
  { protocol: 'vrrp', cidr: '203.0.113.5/32', port: 112 },
] as const;

const SPEC_FILE = `table inet amphora_table {}
delete table inet amphora_table
table inet amphora_table {
  chain amphora_chain {
    type filter hook input priority filter; policy drop;
      ct state vmap { established : accept, related : accept, invalid : drop }
      iif lo accept
      ip saddr 127.0.0.0/8 drop
      ip6 saddr ::1 drop
      icmp type destination-unreachable accept
      icmpv6 type { nd-neighbor-solicit, nd-router-advert, nd-neighbor-advert, packet-too-big, destination-unreachable } accept
      udp sport 67 udp dport 68 accept
      udp sport 547 udp dport 546 accept
      iifname eth1 goto amphora_vip_chain
  }
  chain amphora_vip_chain {
      tcp dport 80 accept
      ip saddr 192.0.2.0/24 udp dport 53 accept
      ip saddr 203.0.113.5/32 ip protocol 112 accept
  }
}
`;

test('the base rule set drops new connections but lets loopback and replies through; it reloads idempotently', { skip: !nftAvailable, timeout: 60_000 }, async (t) => {
  const { amphora, tenant, target } = await setUp(t);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:80/'), true, 'open before any rules');

  await loadVipFirewall(target);
  assert.equal(await readFile(target.rulesFile, 'utf8'), renderVipRuleset([]));
  assert.equal((await stat(target.rulesFile)).mode & 0o777, 0o600);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:80/'), false, 'new connection from the VIP network dropped');
  assert.equal(await reaches(amphora, 'http://203.0.113.1:8080/'), true, 'replies to our own connections pass');
  assert.equal(await reaches(amphora, 'http://127.0.0.1:81/'), true, 'loopback passes');

  const before = await ruleset(amphora);
  await loadVipFirewall(target); // as after a reboot: the file exists and is loaded again
  assert.equal(await ruleset(amphora), before, 'no duplicated rules');
});

test('rules sent before any file exists are applied, byte for byte as the reference writes them', { skip: !nftAvailable, timeout: 60_000 }, async (t) => {
  const { amphora, tenant, target } = await setUp(t);
  await applyVipRules(target, parseVipRules(SPEC_RULES)!);
  assert.equal(await readFile(target.rulesFile, 'utf8'), SPEC_FILE);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:80/'), true, 'allowed port passes');
  assert.equal(await reaches(tenant, 'http://203.0.113.10:81/'), false, 'other port dropped');
  assert.equal(await reaches(amphora, 'http://127.0.0.1:81/'), true, 'loopback passes');
  assert.equal(await reaches(amphora, 'http://203.0.113.1:8080/'), true, 'replies pass');

  // An existing file and an empty list: kept and loaded again, rules stay in force.
  await applyVipRules(target, []);
  assert.equal(await readFile(target.rulesFile, 'utf8'), SPEC_FILE);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:80/'), true);

  // A source restriction that excludes the tenant closes the port.
  await applyVipRules(target, parseVipRules([{ protocol: 'TCP', cidr: '198.51.100.0/24', port: 80 }, { protocol: 'TCP', cidr: '203.0.113.0/24', port: 81 }])!);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:80/'), false);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:81/'), true);
});

test('a rule set nft refuses changes neither the running rules nor the file', { skip: !nftAvailable, timeout: 60_000 }, async (t) => {
  const { amphora, tenant, target } = await setUp(t);
  await applyVipRules(target, parseVipRules(SPEC_RULES)!);
  const running = await ruleset(amphora);
  // Past validation on purpose (parseVipRules refuses it): nft itself must refuse a /33.
  await assert.rejects(applyVipRules(target, [{ protocol: 'TCP', cidr: '203.0.113.0/33', port: 81 }]), VipFirewallError);
  assert.equal(await readFile(target.rulesFile, 'utf8'), SPEC_FILE);
  assert.equal(await ruleset(amphora), running);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:80/'), true);
  assert.equal(await reaches(tenant, 'http://203.0.113.10:81/'), false);
});

test('the rules endpoint service: lookup errors first, then the reference 400 for a bad rule set, nothing touched', { skip: !nftAvailable, timeout: 60_000 }, async (t) => {
  const { amphora, target } = await setUp(t);
  const { context, cleanup } = await lifecycleContext({ amphora_agent: [`network_namespace = ${amphora}`] });
  t.after(cleanup);
  const service = new InterfaceService(context);
  await writeFile(context.paths.nftablesRules, 'placeholder\n', { mode: 0o600 });
  await applyVipRules({ ...target, rulesFile: context.paths.nftablesRules }, parseVipRules(SPEC_RULES)!);
  const running = await ruleset(amphora);

  const statusOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return undefined;
    } catch (error) {
      const answer = refusalAnswer(error);
      return { status: answer.status, body: answer.body };
    }
  };
  const invalidRules = { status: 400, body: { error: '400 Bad Request: Invalid rules information', http_code: 400 } };
  let bodyRead = false;
  assert.deepEqual(
    await statusOf(service.setRules('203.0.113.99', async () => ((bodyRead = true), []))),
    { status: 404, body: { message: 'Error interface not found for IP address' } },
  );
  assert.deepEqual(await statusOf(service.setRules('not-an-ip', async () => [])), { status: 400, body: { message: 'Invalid IP address' } });
  assert.equal(bodyRead, false, 'the lookup answers before the body is read');
  for (const bad of [
    undefined,
    { protocol: 'TCP', cidr: null, port: 80 },
    [{ protocol: 'HTTP', cidr: null, port: 80 }],
    [{ protocol: 'TCP', cidr: null, port: 0 }],
    [{ protocol: 'TCP', cidr: null, port: 65536 }],
    [{ protocol: 'TCP', cidr: null, port: '80' }],
    [{ protocol: 'TCP', cidr: null, port: 80.5 }],
    [{ protocol: 'TCP', port: 80 }],
    [{ protocol: 'TCP', cidr: null, port: 80, extra: 1 }],
    [{ protocol: 'TCP', cidr: 'bogus', port: 80 }],
    [{ protocol: 'TCP', cidr: '192.0.2.0/33', port: 80 }],
    [{ protocol: 'TCP', cidr: null, port: 80 }, { protocol: 'TCP', cidr: '2001:db8::/129', port: 81 }],
  ]) {
    assert.deepEqual(await statusOf(service.setRules('203.0.113.10', async () => bad)), invalidRules, JSON.stringify(bad));
  }
  assert.equal(await readFile(context.paths.nftablesRules, 'utf8'), SPEC_FILE, 'file untouched');
  assert.equal(await ruleset(amphora), running, 'running rules untouched');

  // IPv6 VRRP from the peer: a layer-4 match nft takes (the reference's `ip protocol` is IPv4 only).
  const ok = await service.setRules('203.0.113.10', async () => [{ protocol: 'vrrp', cidr: '2001:db8::5/128', port: 112 }]);
  assert.deepEqual(ok, { status: 200, body: { message: 'OK' } });
  assert.match(await readFile(context.paths.nftablesRules, 'utf8'), /^ {6}ip6 saddr 2001:db8::5\/128 meta l4proto 112 accept$/mu);
  assert.match(await ruleset(amphora), /ip6 saddr 2001:db8::5 meta l4proto vrrp accept/u);
});
