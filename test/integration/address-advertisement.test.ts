/**
 * GARP and unsolicited NA on the wire: an "amphora" namespace with two veth links (eth1, eth2)
 * whose peers sit in a "tenant" namespace. Frames are captured there with packet sockets, and
 * the tenant's neighbour table must learn the advertised MACs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { advertiseAddresses } from '../../agent/network/advertise.ts';
import { closeSocket, inNetworkNamespace, openCaptureSocket, receiveFrame } from '../../agent/network/raw-sockets.ts';
import { addressBytes } from '../../agent/network/advertise-frames.ts';
import { createVethLab, labMac } from '../helpers/veth-lab.ts';
import { createAddressAdvertiser } from '../../agent/network/advertise.ts';
import { HaproxyService } from '../../agent/haproxy/lifecycle.ts';
import { lifecycleContext } from '../helpers/lifecycle-context.ts';
import { killHaproxyUnder } from '../helpers/haproxy-fixtures.ts';

interface Seen {
  kind: 'garp' | 'na';
  address: string;
  sourceMac: string;
  frame: Buffer;
}

function mac(bytes: Buffer): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** The advertisements among captured frames. */
function classify(frame: Buffer): Seen | undefined {
  const ethertype = frame.readUInt16BE(12);
  if (ethertype === 0x0806 && frame.length >= 42 && frame.readUInt16BE(20) === 1) {
    const sender = frame.subarray(28, 32);
    if (!sender.equals(frame.subarray(38, 42))) return undefined;
    return { kind: 'garp', address: ipText(sender), sourceMac: mac(frame.subarray(6, 12)), frame };
  }
  if (ethertype === 0x86dd && frame.length >= 54 + 32 && frame[20] === 58 && frame[54] === 136) {
    return { kind: 'na', address: ipText(frame.subarray(62, 78)), sourceMac: mac(frame.subarray(6, 12)), frame };
  }
  return undefined;
}

async function collect(fds: Map<string, number>, wantedPerLink: Map<string, number>, maxMs: number): Promise<Map<string, Seen[]>> {
  const seen = new Map<string, Seen[]>([...fds.keys()].map((link) => [link, []]));
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    for (const [link, fd] of fds) {
      for (let frame = receiveFrame(fd); frame; frame = receiveFrame(fd)) {
        const advertisement = classify(frame);
        if (advertisement) seen.get(link)!.push(advertisement);
      }
    }
    if ([...wantedPerLink].every(([link, count]) => seen.get(link)!.length >= count)) break;
    await sleep(20);
  }
  return seen;
}

async function ifindex(lab: ReturnType<typeof createVethLab>, namespace: string, name: string): Promise<number> {
  const [link] = JSON.parse(await lab.ip(namespace, '-j', 'link', 'show', name)) as { ifindex: number }[];
  return link!.ifindex;
}

test('GARP and NA leave from the interface holding each address; a failing address does not stop the rest', { timeout: 60_000 }, async () => {
  const lab = createVethLab();
  const fds = new Map<string, number>();
  try {
    const amphora = await lab.addNamespace('amp');
    const tenant = await lab.addNamespace('ten');
    const mac1 = labMac(lab.suffix, 1);
    const mac2 = labMac(lab.suffix, 2);
    await lab.addVeth({ namespace: amphora, name: 'eth1', mac: mac1, peerNamespace: tenant, peerName: 'p1' });
    await lab.addVeth({ namespace: amphora, name: 'eth2', mac: mac2, peerNamespace: tenant, peerName: 'p2' });
    await lab.ip(amphora, 'addr', 'add', '203.0.113.10/24', 'dev', 'eth1');
    await lab.ip(amphora, 'addr', 'add', '2001:db8::10/64', 'dev', 'eth1', 'nodad');
    await lab.ip(amphora, 'addr', 'add', '192.0.2.20/24', 'dev', 'eth2');
    await lab.ip(amphora, 'addr', 'add', '2001:db8:2::20/64', 'dev', 'eth2', 'nodad');
    await lab.ip(tenant, 'addr', 'add', '203.0.113.1/24', 'dev', 'p1');
    await lab.ip(tenant, 'addr', 'add', '2001:db8::1/64', 'dev', 'p1', 'nodad');
    // The tenant side learns from gratuitous ARP and (as a router) from untracked NAs.
    await lab.exec(tenant, 'sysctl', '-q', '-w', 'net.ipv4.conf.p1.arp_accept=1');
    await lab.exec(tenant, 'sysctl', '-q', '-w', 'net.ipv6.conf.p1.forwarding=1');
    await lab.exec(tenant, 'sysctl', '-q', '-w', 'net.ipv6.conf.p1.accept_untracked_na=1');

    for (const link of ['p1', 'p2']) {
      const index = await ifindex(lab, tenant, link);
      fds.set(link, inNetworkNamespace(tenant, () => openCaptureSocket(index)));
    }

    const outcomes = await advertiseAddresses(amphora, [
      '198.51.100.99', // on no interface: fails, the others still go out
      '203.0.113.10',
      '2001:0db8:0000:0000:0000:0000:0000:0010', // exploded spelling, as plug files write it
      '203.0.113.10', // a VIP on two bind lines goes out once
      '192.0.2.20',
      '2001:db8:2::20',
      '127.0.0.1',
      'not-an-address',
    ]);
    assert.deepEqual(
      outcomes.map(({ address, result, interface: name }) => ({ address, result, name })),
      [
        { address: '198.51.100.99', result: 'failed', name: undefined },
        { address: '203.0.113.10', result: 'sent', name: 'eth1' },
        { address: '2001:0db8:0000:0000:0000:0000:0000:0010', result: 'sent', name: 'eth1' },
        { address: '192.0.2.20', result: 'sent', name: 'eth2' },
        { address: '2001:db8:2::20', result: 'sent', name: 'eth2' },
        { address: '127.0.0.1', result: 'skipped', name: 'lo' },
        { address: 'not-an-address', result: 'failed', name: undefined },
      ],
    );
    assert.match(outcomes[0]!.error!, /not configured/u);

    const seen = await collect(fds, new Map([['p1', 2], ['p2', 2]]), 3000);
    const summary = (link: string) => seen.get(link)!.map(({ kind, address, sourceMac }) => `${kind} ${address} ${sourceMac}`).sort();
    assert.deepEqual(summary('p1'), [`garp 203.0.113.10 ${mac1}`, `na 2001:db8:0:0:0:0:0:10 ${mac1}`]);
    assert.deepEqual(summary('p2'), [`garp 192.0.2.20 ${mac2}`, `na 2001:db8:2:0:0:0:0:20 ${mac2}`]);

    // Byte-level: the reference's GARP (broadcast ARP request, sender = target) and NA.
    const garp = seen.get('p1')!.find((entry) => entry.kind === 'garp')!.frame;
    const expectedGarp = Buffer.concat([
      Buffer.from('ffffffffffff', 'hex'),
      Buffer.from(mac1.replaceAll(':', ''), 'hex'),
      Buffer.from('0806000108000604 0001'.replaceAll(' ', ''), 'hex'),
      Buffer.from(mac1.replaceAll(':', ''), 'hex'),
      addressBytes('203.0.113.10'),
      Buffer.from('ffffffffffff', 'hex'),
      addressBytes('203.0.113.10'),
    ]);
    assert.deepEqual(garp.subarray(0, 42), expectedGarp);
    const na = seen.get('p1')!.find((entry) => entry.kind === 'na')!.frame;
    assert.equal(na[21], 255, 'hop limit 255');
    assert.deepEqual(na.subarray(22, 38), addressBytes('2001:db8::10'), 'sent from the address');
    assert.deepEqual(na.subarray(38, 54), addressBytes('ff02::1'), 'to all nodes');
    assert.deepEqual(na.subarray(0, 6), Buffer.from('333300000001', 'hex'));
    const icmp = na.subarray(54, 86);
    assert.equal(icmp.readUInt32BE(4), 0xa0000000, 'Router + Override');
    assert.deepEqual(icmp.subarray(24, 32), Buffer.concat([Buffer.from([2, 1]), Buffer.from(mac1.replaceAll(':', ''), 'hex')]));
    assert.notEqual(icmp.readUInt16BE(2), 0, 'the kernel filled in the checksum');

    // The tenant's neighbour table took both.
    const neighbours = JSON.parse(await lab.ip(tenant, '-j', 'neigh', 'show', 'dev', 'p1')) as { dst: string; lladdr?: string }[];
    const learned = new Map(neighbours.map((entry) => [entry.dst, entry.lladdr]));
    assert.equal(learned.get('203.0.113.10'), mac1);
    assert.equal(learned.get('2001:db8::10'), mac1);
  } finally {
    for (const fd of fds.values()) closeSocket(fd);
    await lab.cleanup();
  }
});

test('a namespace that does not exist fails every address without throwing', async () => {
  const outcomes = await advertiseAddresses('t-missing-namespace-x', ['192.0.2.1', '2001:db8::1']);
  assert.deepEqual(outcomes.map((outcome) => outcome.result), ['failed', 'failed']);
});

test('haproxy start and reload advertise the VIPs of the bind lines in SINGLE topology, not in ACTIVE_STANDBY', { timeout: 90_000 }, async (t) => {
  const lab = createVethLab();
  const fds: number[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const fd of fds) closeSocket(fd);
    for (const cleanup of cleanups.reverse()) await cleanup();
    await lab.cleanup();
  });
  const amphora = await lab.addNamespace('amp');
  const tenant = await lab.addNamespace('ten');
  const vipMac = labMac(lab.suffix, 1);
  await lab.addVeth({ namespace: amphora, name: 'eth1', mac: vipMac, peerNamespace: tenant, peerName: 'p1' });
  await lab.ip(amphora, 'addr', 'add', '203.0.113.10/24', 'dev', 'eth1');
  await lab.ip(amphora, 'addr', 'add', '2001:db8::10/64', 'dev', 'eth1', 'nodad');
  const index = await ifindex(lab, tenant, 'p1');
  const fd = inNetworkNamespace(tenant, () => openCaptureSocket(index));
  fds.push(fd);
  const capture = new Map([['p1', fd]]);

  const run = async (topology: string, lbId: string) => {
    const { context, directory, cleanup } = await lifecycleContext({
      amphora_agent: [`network_namespace = ${amphora}`],
      controller_worker: [`loadbalancer_topology = ${topology}`],
    });
    const service = new HaproxyService(context, { hooks: { advertiseVips: createAddressAdvertiser(context) } });
    cleanups.push(async () => {
      await service.shutdown();
      await killHaproxyUnder(directory);
      await cleanup();
    });
    const config = [
      'global',
      `    stats socket ${context.paths.statsSocket(lbId)} mode 0666 level user`,
      '    maxconn 1000',
      'defaults',
      '    mode tcp',
      '    timeout connect 2s',
      '    timeout client 5s',
      '    timeout server 5s',
      '',
      'frontend listener-a',
      '    bind 203.0.113.10:8080',
      '    mode tcp',
      '',
      'frontend listener-b',
      '    bind 2001:db8::10:8443',
      '    mode tcp',
      '',
    ].join('\n');
    assert.equal((await service.uploadConfig('amp', lbId, async () => Buffer.from(config))).status, 202);
    return service;
  };

  const single = await run('SINGLE', 'lb-single');
  assert.equal((await single.runAction('lb-single', 'start')).status, 202);
  let seen = await collect(capture, new Map([['p1', 2]]), 3000);
  assert.deepEqual(seen.get('p1')!.map(({ kind, address, sourceMac }) => `${kind} ${address} ${sourceMac}`).sort(), [
    `garp 203.0.113.10 ${vipMac}`,
    `na 2001:db8:0:0:0:0:0:10 ${vipMac}`,
  ]);
  assert.equal((await single.runAction('lb-single', 'reload')).status, 202);
  seen = await collect(capture, new Map([['p1', 2]]), 3000);
  assert.equal(seen.get('p1')!.length, 2, 'advertised again after a reload');
  assert.equal((await single.runAction('lb-single', 'stop')).status, 202);
  seen = await collect(capture, new Map([['p1', 1]]), 1000);
  assert.equal(seen.get('p1')!.length, 0, 'nothing after a stop');

  const activeStandby = await run('ACTIVE_STANDBY', 'lb-standby');
  assert.equal((await activeStandby.runAction('lb-standby', 'start')).status, 202);
  seen = await collect(capture, new Map([['p1', 1]]), 1500);
  assert.equal(seen.get('p1')!.length, 0, 'keepalived advertises in ACTIVE_STANDBY, not the agent');
});
