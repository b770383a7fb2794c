import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { deflate } from 'pako';
import { signPayload } from '../../agent/heartbeat/envelope.ts';
import { HeartbeatLoop } from '../../agent/heartbeat/heartbeat-loop.ts';
import { encodeHeartbeat } from '../../agent/heartbeat/encode.ts';
import { runHeartbeatListen } from '../../agent/heartbeat/listen-command.ts';
import type { HeartbeatMessage } from '../../agent/heartbeat/message.ts';
import { LiveConfig } from '../../agent/config/live-config.ts';
import { silentLogger } from '../../agent/util/logger.ts';
import { VECTORS } from '../helpers/heartbeat-vectors.ts';
import { heartbeatConfig, withTempDir } from '../helpers/heartbeat-config.ts';
import { startPythonReceiver } from '../helpers/heartbeat-receiver.ts';

const WRAP = new URL('./heartbeat_wrap.py', import.meta.url).pathname;
const HEALTH_UPDATE = new URL('./heartbeat_health_update.py', import.meta.url).pathname;
const AMPHORA_ID = '3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01';

for (const [name, vector] of Object.entries(VECTORS)) {
  test(`vector ${name}: Octavia's wrap_envelope, the spec and our signer agree byte for byte`, () => {
    const python = execFileSync('/usr/bin/python3', [WRAP, vector.json, vector.key]).toString().trim();
    const ours = signPayload(Buffer.from(deflate(Buffer.from(vector.json), { level: 9, legacyHash: true })), vector.key);
    assert.equal(python, ours.toString('hex'));
    assert.equal(python, vector.payload + Buffer.from(vector.hmac, 'ascii').toString('hex'));
  });
}

test('heartbeats of an empty amphora reach Octavia\'s receiver over IPv4, IPv6 and a host name, in round robin', async () => {
  await withTempDir('hb-env-', async (basePath) => {
    const key = 'insecure-heartbeat-key';
    const v4 = await startPythonReceiver('127.0.0.1', [key]);
    const v6 = await startPythonReceiver('::1', [key]);
    const named = await startPythonReceiver('127.0.0.1', [key]);
    try {
      const config = heartbeatConfig({
        amphora_agent: { amphora_id: AMPHORA_ID },
        haproxy_amphora: { base_path: basePath },
        health_manager: {
          heartbeat_key: key,
          // A malformed entry is logged and skipped; the others keep working.
          controller_ip_port_list: `127.0.0.1:${v4.port}, no-port-here, [::1]:${v6.port}, localhost:${named.port}`,
        },
      });
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
      const beats = [];
      for (let index = 0; index < 6; index += 1) beats.push(await loop.beat());
      await loop.stop();
      assert.deepEqual(beats.map((beat) => beat.seq), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(beats.map((beat) => beat.destination?.entry), [
        `127.0.0.1:${v4.port}`, `[::1]:${v6.port}`, `localhost:${named.port}`,
        `127.0.0.1:${v4.port}`, `[::1]:${v6.port}`, `localhost:${named.port}`,
      ]);
      const [first, second, third] = await Promise.all([v4.waitFor(2), v6.waitFor(2), named.waitFor(2)]);
      assert.deepEqual(first![0]!.results[key]!.ok, { id: AMPHORA_ID, seq: 0, listeners: {}, pools: {}, ver: 3 });
      assert.equal(second![0]!.results[key]!.ok!.seq, 1);
      assert.equal(second![0]!.source, '::1');
      assert.equal(third![1]!.results[key]!.ok!.seq, 5);
    } finally {
      await Promise.all([v4.stop(), v6.stop(), named.stop()]);
    }
  });
});

test('key rotation: every heartbeat is sent under both keys; a receiver with either key accepts exactly one', async () => {
  await withTempDir('hb-rot-', async (basePath) => {
    const receiver = await startPythonReceiver('127.0.0.1', ['old-key', 'new-key', 'other-key']);
    try {
      const config = heartbeatConfig({
        amphora_agent: { amphora_id: AMPHORA_ID },
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: 'old-key', heartbeat_key_next: 'new-key', controller_ip_port_list: `127.0.0.1:${receiver.port}` },
      });
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
      const beat = await loop.beat();
      await loop.stop();
      assert.equal(beat.sent, 2);
      const datagrams = await receiver.waitFor(2);
      const accepted = (key: string) => datagrams.filter((datagram) => datagram.results[key]!.ok).map((d) => d.results[key]!.ok!.seq);
      assert.deepEqual(accepted('old-key'), [0]);
      assert.deepEqual(accepted('new-key'), [0]);
      assert.deepEqual(accepted('other-key'), []);
    } finally {
      await receiver.stop();
    }
  });
});

test('live configuration: destinations, key and amphora id change without a restart', async () => {
  await withTempDir('hb-live-', async (basePath) => {
    const first = await startPythonReceiver('127.0.0.1', ['key-1']);
    const second = await startPythonReceiver('127.0.0.1', ['key-2']);
    try {
      const options = (port: number, key: string, id: string) => ({
        amphora_agent: { amphora_id: id },
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: key, controller_ip_port_list: `127.0.0.1:${port}`, heartbeat_interval: '1' },
      });
      const live = new LiveConfig(heartbeatConfig(options(first.port, 'key-1', 'amp-1')), { files: [], directories: [] });
      const loop = new HeartbeatLoop({ config: () => live.current, logger: silentLogger });
      live.on('change', () => loop.configChanged());
      loop.start();
      await first.waitFor(1);
      live.apply(heartbeatConfig(options(second.port, 'key-2', 'amp-2')));
      const [received] = await Promise.all([second.waitFor(1, 3000)]);
      await loop.stop();
      assert.equal(received![0]!.results['key-2']!.ok!.id, 'amp-2');
      assert.equal(first.received.every((datagram) => datagram.results['key-1']!.ok!.id === 'amp-1'), true);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

function largeMessage(members: number): HeartbeatMessage {
  const listenerId = randomUUID();
  const memberMap = new Map<string, string>();
  for (let index = 0; index < members; index += 1) memberMap.set(randomUUID(), 'UP');
  return {
    id: AMPHORA_ID,
    seq: 9,
    listeners: new Map([[listenerId, { status: 'OPEN', stats: { tx: 1n, rx: 2n, conns: 3n, totconns: 4n, ereq: 0n } }]]),
    pools: new Map([[`${randomUUID()}:${listenerId}`, { status: 'UP', members: memberMap }]]),
  };
}

test('large amphorae: 1,000 members fit with pools; 10,000 members are sent without pools, still accepted', async () => {
  const receiver = await startPythonReceiver('127.0.0.1', ['k']);
  try {
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    const send = (datagram: Buffer) =>
      new Promise<void>((resolve, reject) => socket.send(datagram, receiver.port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
    const small = await encodeHeartbeat(largeMessage(1000), { keys: ['k'], encrypt: false });
    const large = await encodeHeartbeat(largeMessage(10_000), { keys: ['k'], encrypt: false });
    assert.equal(small.poolsOmitted, false);
    assert.equal(large.poolsOmitted, true);
    assert.ok(large.datagrams[0]!.length <= 65_507);
    await send(small.datagrams[0]!);
    await send(large.datagrams[0]!);
    socket.close();
    const [withPools, withoutPools] = await receiver.waitFor(2);
    const full = withPools!.results['k']!.ok!;
    assert.equal(Object.keys((Object.values(full.pools as object)[0] as { members: object }).members).length, 1000);
    const reduced = withoutPools!.results['k']!.ok!;
    assert.equal(Object.keys(reduced.listeners as object).length, 1);
    assert.equal('pools' in reduced, false);
    assert.equal(reduced.ver, 3);
  } finally {
    await receiver.stop();
  }
});

test('large amphorae: Octavia\'s health update refreshes the amphora and keeps pool and member statuses', async () => {
  const message = largeMessage(10_000);
  const [listenerId] = message.listeners.keys();
  const [poolKey] = message.pools.keys();
  const poolId = poolKey!.slice(0, poolKey!.lastIndexOf(':'));
  const memberIds = [...message.pools.get(poolKey!)!.members.keys()].slice(0, 3);
  const dbLb = {
    id: 'lb-1',
    enabled: true,
    provisioning_status: 'ACTIVE',
    operating_status: 'ONLINE',
    listeners: { [listenerId!]: { id: listenerId, enabled: true, protocol: 'HTTP', operating_status: 'OFFLINE' } },
    pools: { [poolId]: { operating_status: 'ONLINE', members: Object.fromEntries(memberIds.map((id) => [id, { operating_status: 'ERROR' }])) } },
  };
  const update = async (members: number) => {
    const small = { ...message, pools: new Map([[poolKey!, { status: 'UP', members: new Map([...message.pools.get(poolKey!)!.members].slice(0, members)) }]]) };
    const encoded = await encodeHeartbeat(members > 5000 ? message : small, { keys: ['k'], encrypt: false });
    const output = execFileSync('/usr/bin/python3', [HEALTH_UPDATE], {
      input: JSON.stringify({ datagram: encoded.datagrams[0]!.toString('hex'), key: 'k', db_lb: dbLb }),
    });
    return { poolsOmitted: encoded.poolsOmitted, result: JSON.parse(output.toString()) as Record<string, unknown> };
  };
  const large = await update(10_000);
  assert.equal(large.poolsOmitted, true);
  assert.deepEqual(large.result, {
    refreshed: true,
    listeners: { [listenerId!]: 'ONLINE' },
    pools: {},
    members: {},
    loadbalancer: {},
    error: "KeyError('pools')",
  });
  // The same amphora with few enough members: full statuses, no error.
  const fits = await update(3);
  assert.equal(fits.poolsOmitted, false);
  assert.equal(fits.result.refreshed, true);
  assert.deepEqual(fits.result.members, Object.fromEntries(memberIds.map((id) => [id, 'ONLINE'])));
  assert.equal(fits.result.error, null);
});

test('encryption: Octavia cannot read it, heartbeat-listen can; signed heartbeats are listed too', async () => {
  await withTempDir('hb-enc-', async (basePath) => {
    const octavia = await startPythonReceiver('127.0.0.1', ['k1']);
    let stdout = '';
    let stderr = '';
    const sink = (append: (text: string) => void) =>
      new Writable({ write(chunk: Buffer, _encoding, done) { append(chunk.toString()); done(); } });
    const listening = runHeartbeatListen(['--port', '0', '--bind', '127.0.0.1', '--key', 'k1', '--count', '2', '--timeout', '10'], {
      stdout: sink((text) => { stdout += text; }),
      stderr: sink((text) => { stderr += text; }),
    });
    try {
      while (!/listening on/u.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 10));
      const listenPort = Number(/:(\d+)\n/u.exec(stderr)![1]);
      const make = (encrypt: boolean, port: number) =>
        heartbeatConfig({
          amphora_agent: { amphora_id: AMPHORA_ID },
          haproxy_amphora: { base_path: basePath },
          health_manager: { heartbeat_key: 'k1', heartbeat_encryption: String(encrypt), controller_ip_port_list: `127.0.0.1:${port}` },
        });
      let config = make(true, octavia.port);
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
      await loop.beat();
      config = make(true, listenPort);
      await loop.beat();
      config = make(false, listenPort);
      await loop.beat();
      await loop.stop();
      const [refused] = await octavia.waitFor(1);
      assert.equal(refused!.results['k1']!.error, 'InvalidHMACException');
      assert.equal(await listening, 0);
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(lines.map((line) => [line.form, (line.message as { seq: number }).seq]), [['encrypted', 1], ['signed', 2]]);
    } finally {
      await octavia.stop();
    }
  });
});

test('heartbeat-listen refuses a wrong key and, with --encrypted, plain signed datagrams', async () => {
  const { describeDatagram } = await import('../../agent/heartbeat/listen-command.ts');
  const datagram = signPayload(Buffer.from(deflate(Buffer.from(VECTORS.a.json), { level: 9 })), VECTORS.a.key);
  const remote = { address: '127.0.0.1', port: 1 };
  assert.match(describeDatagram(datagram, remote, { keys: ['wrong'], encryptedOnly: false }).text, /signature does not match/u);
  assert.match(describeDatagram(datagram, remote, { keys: [VECTORS.a.key], encryptedOnly: true }).text, /not encrypted/u);
  const ok = describeDatagram(datagram, remote, { keys: ['wrong', VECTORS.a.key], encryptedOnly: false });
  assert.equal(ok.valid, true);
  assert.equal((JSON.parse(ok.text) as { key: number }).key, 2);
  assert.equal(await runHeartbeatListen(['--port', 'x', '--key', 'k'], { stdout: new Writable({ write: (_c, _e, d) => d() }), stderr: new Writable({ write: (_c, _e, d) => d() }) }), 2);
});

test('heartbeat-listen: an authentic compression bomb is refused with bounded memory; newlines never split a line', async () => {
  const { describeDatagram } = await import('../../agent/heartbeat/listen-command.ts');
  const remote = { address: '127.0.0.1', port: 1 };
  const key = 'listen-key';
  // 48 MB of JSON in a datagram that fits UDP.
  const bomb = deflate(Buffer.from(`{"id": "${'x'.repeat(48 * 1024 * 1024)}"}`), { level: 9 });
  assert.ok(bomb.length < 65_000, `bomb is ${bomb.length} bytes`);
  const before = process.memoryUsage().rss;
  const refused = describeDatagram(signPayload(Buffer.from(bomb), key), remote, { keys: [key], encryptedOnly: false });
  assert.equal(refused.valid, false);
  assert.match(refused.text, /inflates beyond/u);
  assert.ok(process.memoryUsage().rss - before < 40 * 1024 * 1024, 'decompression stopped at its bound');
  // A signed payload whose JSON carries line breaks between tokens: still one line.
  const forged = `{"id": "amp",\n"seq": 1}\n{"from": "forged"}`;
  const split = describeDatagram(signPayload(Buffer.from(deflate(Buffer.from(forged))), key), remote, { keys: [key], encryptedOnly: false });
  assert.equal(split.valid, false, 'two JSON values are not one message');
  const multiline = describeDatagram(signPayload(Buffer.from(deflate(Buffer.from('{"id": "amp",\n"seq": 1}'))), key), remote, { keys: [key], encryptedOnly: false });
  assert.equal(multiline.valid, true);
  assert.ok(!multiline.text.includes('\n'));
  assert.equal((JSON.parse(multiline.text) as { message: { seq: number } }).message.seq, 1);
});
