import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { HeartbeatLoop, type BeatResult } from '../../agent/heartbeat/heartbeat-loop.ts';
import { silentLogger } from '../../agent/util/logger.ts';
import { heartbeatConfig, withTempDir } from '../helpers/heartbeat-config.ts';
import { startHaproxyLb, startSilentHaproxy } from '../helpers/heartbeat-haproxy.ts';
import { startPythonReceiver, type PythonReceiver } from '../helpers/heartbeat-receiver.ts';

const KEY = 'heartbeat-haproxy-key';

interface Decoded {
  id: string;
  seq: number;
  listeners: Record<string, { status: string; stats: { tx: number; rx: number; conns: number; totconns: number; ereq: number } }>;
  pools: Record<string, { status: string; members: Record<string, string> }>;
  ver: number;
}

async function httpMember(): Promise<{ server: Server; port: number }> {
  const server = createHttpServer((_request, response) => {
    response.setHeader('Content-Type', 'text/plain');
    response.end('member says hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** One HTTP request on its own connection; returns the bytes sent and received. */
function request(port: number, path: string): Promise<{ sent: number; received: number }> {
  return new Promise((resolve, reject) => {
    const text = `GET ${path} HTTP/1.1\r\nHost: heartbeat.test\r\nConnection: close\r\n\r\n`;
    let received = 0;
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ sent: Buffer.byteLength(text), received }));
  });
}

async function traffic(port: number, count: number) {
  let sent = 0;
  let received = 0;
  for (let index = 0; index < count; index += 1) {
    const result = await request(port, `/request-${index}-${'x'.repeat(index * 7)}`);
    sent += result.sent;
    received += result.received;
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  return { sent, received };
}

/** Beats once and returns what Octavia's receiver decoded from it. */
async function beatAndDecode(loop: HeartbeatLoop, receiver: PythonReceiver): Promise<{ beat: BeatResult; message: Decoded }> {
  const before = receiver.received.length;
  const beat = await loop.beat();
  assert.equal(beat.sent, 1);
  const all = await receiver.waitFor(before + 1);
  const result = all[before]!.results[KEY]!;
  assert.ok(result.ok, `receiver refused the heartbeat: ${result.error}`);
  return { beat, message: result.ok as unknown as Decoded };
}

test('real haproxy: deltas match the traffic, survive a restart, and a dead member turns DOWN', { timeout: 60_000 }, async () => {
  await withTempDir('hb-haproxy-', async (basePath) => {
    const ids = { lbId: randomUUID(), listenerId: randomUUID(), poolId: randomUUID(), m1: randomUUID(), m2: randomUUID() };
    const members = [await httpMember(), await httpMember()];
    const receiver = await startPythonReceiver('127.0.0.1', [KEY]);
    const lb = await startHaproxyLb({
      basePath,
      lbId: ids.lbId,
      listenerId: ids.listenerId,
      poolId: ids.poolId,
      members: [
        { id: ids.m1, port: members[0]!.port },
        { id: ids.m2, port: members[1]!.port },
      ],
    });
    const poolKey = `${ids.poolId}:${ids.listenerId}`;
    try {
      const config = heartbeatConfig({
        amphora_agent: { amphora_id: 'amphora-under-test', network_namespace: '' },
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: KEY, controller_ip_port_list: `127.0.0.1:${receiver.port}` },
      });
      // A listener deleted long ago, still in the counters file.
      await writeFile(join(basePath, 'stats_counters.json'), '{"listener-deleted-long-ago": {"bin": 1, "bout": 2, "ereq": 0, "stot": 3}}');
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });

      const first = await beatAndDecode(loop, receiver);
      const pruned = JSON.parse(await readFile(join(basePath, 'stats_counters.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(pruned), [ids.listenerId], 'counters of listeners that no longer exist are dropped');
      assert.deepEqual(Object.keys(first.message.listeners), [ids.listenerId], 'exactly one listener; prometheus proxies filtered');
      assert.equal(first.message.listeners[ids.listenerId]!.status, 'OPEN');
      assert.deepEqual(first.message.pools, { [poolKey]: { status: 'UP', members: { [ids.m1]: 'UP', [ids.m2]: 'UP' } } });
      assert.deepEqual(first.beat.problems, []);

      const seven = await traffic(lb.frontendPort, 7);
      const second = await beatAndDecode(loop, receiver);
      assert.deepEqual(second.message.listeners[ids.listenerId]!.stats, {
        tx: seven.received,
        rx: seven.sent,
        conns: 0,
        totconns: 7,
        ereq: 0,
      });
      const stored = JSON.parse(await readFile(join(basePath, 'stats_counters.json'), 'utf8')) as Record<string, Record<string, number>>;
      assert.deepEqual(stored[ids.listenerId], { bin: seven.sent, bout: seven.received, ereq: 0, stot: 7 });

      const quiet = await beatAndDecode(loop, receiver);
      assert.deepEqual(quiet.message.listeners[ids.listenerId]!.stats, { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 });

      // haproxy restarts: its counters start again below the stored ones; the delta is the new total.
      await lb.restart();
      const three = await traffic(lb.frontendPort, 3);
      const afterRestart = await beatAndDecode(loop, receiver);
      assert.deepEqual(afterRestart.message.listeners[ids.listenerId]!.stats, {
        tx: three.received,
        rx: three.sent,
        conns: 0,
        totconns: 3,
        ereq: 0,
      });

      // The second member dies: after its health check fails it is reported DOWN, the pool stays UP.
      await new Promise((resolve) => members[1]!.server.close(resolve));
      members[1]!.server.closeAllConnections();
      let status: Decoded['pools'][string] | undefined;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        status = (await beatAndDecode(loop, receiver)).message.pools[poolKey];
        if (status?.members[ids.m2] === 'DOWN') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(status, { status: 'UP', members: { [ids.m1]: 'UP', [ids.m2]: 'DOWN' } });

      // haproxy stopped: the load balancer reports nothing (the receiver marks its listeners ERROR).
      await lb.stop();
      const stopped = await beatAndDecode(loop, receiver);
      assert.deepEqual(stopped.message.listeners, {});
      assert.deepEqual(stopped.message.pools, {});
      await loop.stop();
    } finally {
      await lb.stop();
      await receiver.stop();
      for (const member of members) {
        member.server.closeAllConnections();
        await new Promise((resolve) => member.server.close(() => resolve(undefined)));
      }
    }
  });
});

test('a stats socket that accepts and never answers does not delay the heartbeat', { timeout: 30_000 }, async () => {
  await withTempDir('hb-stuck-', async (basePath) => {
    const lbId = randomUUID();
    // A live stand-in for a running haproxy whose socket is stuck.
    const silent = await startSilentHaproxy(basePath, lbId);
    const receiver = await startPythonReceiver('127.0.0.1', [KEY]);
    try {
      const config = heartbeatConfig({
        amphora_agent: { amphora_id: 'stuck-amphora', network_namespace: '' },
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: KEY, controller_ip_port_list: `127.0.0.1:${receiver.port}`, heartbeat_interval: '1' },
      });
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
      const beats: BeatResult[] = [];
      loop.on('beat', (beat) => beats.push(beat));
      const started = performance.now();
      loop.start();
      const received = await receiver.waitFor(3, 10_000);
      const elapsed = performance.now() - started;
      await loop.stop();
      assert.ok(silent.queried() >= 1, 'the stuck socket was queried');
      // Three beats at 0 s, 1 s and 2 s, each finished within its 300 ms collection budget.
      assert.ok(elapsed < 2900, `three heartbeats took ${elapsed} ms`);
      for (const beat of beats) {
        assert.ok(beat.durationMs < 700, `beat took ${beat.durationMs} ms`);
        assert.equal(beat.problems[0]?.source, `haproxy ${lbId}`);
      }
      for (let index = 1; index < beats.length; index += 1) {
        const gap = beats[index]!.startedAt - beats[index - 1]!.startedAt;
        assert.ok(gap > 900 && gap < 1200, `interval was ${gap} ms`);
      }
      assert.deepEqual(received.map((datagram) => datagram.results[KEY]!.ok!.seq), [0, 1, 2]);
    } finally {
      await silent.close();
      await receiver.stop();
    }
  });
});

test('keepalived configured but not running: nothing is sent (the reference\'s skip rule)', async () => {
  await withTempDir('hb-vrrp-', async (basePath) => {
    const receiver = await startPythonReceiver('127.0.0.1', [KEY]);
    try {
      await mkdir(join(basePath, 'vrrp'));
      await writeFile(join(basePath, 'vrrp', 'octavia-keepalived.conf'), 'vrrp_instance x {}\n');
      const config = heartbeatConfig({
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: KEY, controller_ip_port_list: `127.0.0.1:${receiver.port}` },
      });
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
      const missing = await loop.beat();
      assert.match(missing.skipped ?? '', /Missing keepalived PID file/u);
      await writeFile(join(basePath, 'vrrp', 'octavia-keepalived.pid'), '999999999\n');
      const dead = await loop.beat();
      assert.equal(dead.skipped, 'Keepalived is configured but not running, skipping health heartbeat');
      await writeFile(join(basePath, 'vrrp', 'octavia-keepalived.pid'), 'garbage\n');
      assert.match((await loop.beat()).skipped ?? '', /holds no PID/u);
      await writeFile(join(basePath, 'vrrp', 'octavia-keepalived.pid'), `${process.pid}\n`);
      const alive = await loop.beat();
      assert.equal(alive.skipped, undefined);
      // Skipped beats consumed no sequence number.
      assert.equal(alive.seq, 0);
      const [only] = await receiver.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(receiver.received.length, 1);
      assert.equal(only!.results[KEY]!.ok!.seq, 0);
      await loop.stop();
    } finally {
      await receiver.stop();
    }
  });
});
