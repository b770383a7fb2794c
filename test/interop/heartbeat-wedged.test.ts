/**
 * A haproxy whose stats socket goes silent: its listeners stay in every heartbeat (Octavia sets
 * an enabled listener missing from one to ERROR), a restart is asked for after a few silent
 * beats, and heartbeats are withheld after more so the control plane fails the amphora over.
 * Octavia's own receiver decodes every datagram.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { join } from 'node:path';
import { HeartbeatLoop, RESTART_AFTER_SILENT_BEATS, WITHHOLD_AFTER_SILENT_BEATS } from '../../agent/heartbeat/heartbeat-loop.ts';
import type { SilentLoadBalancer } from '../../agent/heartbeat/snapshot.ts';
import { readPidFile, signal } from '../../agent/util/process-state.ts';
import { silentLogger } from '../../agent/util/logger.ts';
import { heartbeatConfig, withTempDir } from '../helpers/heartbeat-config.ts';
import { startHaproxyLb, startSilentHaproxy } from '../helpers/heartbeat-haproxy.ts';
import { startPythonReceiver } from '../helpers/heartbeat-receiver.ts';

const KEY = 'heartbeat-wedged-key';

interface Decoded {
  listeners: Record<string, { status: string; stats: Record<string, number> }>;
  pools: Record<string, { status: string; members: Record<string, string> }>;
}

async function httpMember(): Promise<{ server: Server; port: number }> {
  const server = createHttpServer((_request, response) => response.end('ok\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

test('a silent haproxy keeps its listeners in the heartbeat, is reported wedged, then heartbeats are withheld', { timeout: 60_000 }, async () => {
  await withTempDir('hb-wedged-', async (basePath) => {
    const ids = { lbId: randomUUID(), listenerId: randomUUID(), poolId: randomUUID(), member: randomUUID() };
    const member = await httpMember();
    const receiver = await startPythonReceiver('127.0.0.1', [KEY]);
    const lb = await startHaproxyLb({ basePath, ...ids, members: [{ id: ids.member, port: member.port }] });
    const pid = (await readPidFile(join(basePath, ids.lbId, `${ids.lbId}.pid`)))!;
    try {
      const config = heartbeatConfig({
        amphora_agent: { amphora_id: 'wedged-amphora', network_namespace: '' },
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: KEY, controller_ip_port_list: `127.0.0.1:${receiver.port}`, heartbeat_interval: '1' },
      });
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
      const wedged: SilentLoadBalancer[] = [];
      loop.on('wedged', (entry) => wedged.push(entry));
      const poolKey = `${ids.poolId}:${ids.listenerId}`;

      const beatAndDecode = async (): Promise<Decoded> => {
        const before = receiver.received.length;
        const beat = await loop.beat();
        assert.equal(beat.sent, 1, `beat not sent: ${beat.skipped}`);
        const all = await receiver.waitFor(before + 1);
        const result = all[before]!.results[KEY]!;
        assert.ok(result.ok, `receiver refused the heartbeat: ${result.error}`);
        return result.ok as unknown as Decoded;
      };

      const healthy = await beatAndDecode();
      assert.equal(healthy.listeners[ids.listenerId]?.status, 'OPEN');
      assert.deepEqual(healthy.pools[poolKey], { status: 'UP', members: { [ids.member]: 'UP' } });

      signal(pid, 'SIGSTOP');
      for (let silent = 1; silent < WITHHOLD_AFTER_SILENT_BEATS; silent += 1) {
        const message = await beatAndDecode();
        assert.equal(message.listeners[ids.listenerId]?.status, 'OPEN', `silent beat ${silent}: the listener is still reported`);
        assert.deepEqual(message.listeners[ids.listenerId]?.stats, { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 });
        assert.deepEqual(message.pools[poolKey], { status: 'UP', members: { [ids.member]: 'UP' } }, 'last known pool statuses');
        assert.equal(wedged.length, silent >= RESTART_AFTER_SILENT_BEATS ? 1 : 0, `restart asked for after ${RESTART_AFTER_SILENT_BEATS} silent beats`);
      }
      assert.deepEqual(wedged[0], { lbId: ids.lbId, misses: RESTART_AFTER_SILENT_BEATS });

      const before = receiver.received.length;
      const withheld = await loop.beat();
      assert.match(withheld.skipped ?? '', /withheld so the control plane fails this amphora over/u);
      assert.equal(withheld.sent, 0);
      assert.equal(wedged.length, 2, 'a restart is asked for again while it stays silent');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(receiver.received.length, before, 'nothing reached the receiver');

      signal(pid, 'SIGCONT');
      const resumed = await beatAndDecode();
      assert.equal(resumed.listeners[ids.listenerId]?.status, 'OPEN');
    } finally {
      signal(pid, 'SIGCONT');
      await lb.stop();
      await receiver.stop();
      member.server.closeAllConnections();
      await new Promise((resolve) => member.server.close(resolve));
    }
  });
});

test('a haproxy never heard from reports its configured listeners, not nothing', { timeout: 30_000 }, async () => {
  await withTempDir('hb-unheard-', async (basePath) => {
    const lbId = randomUUID();
    const listenerId = randomUUID();
    const silent = await startSilentHaproxy(
      basePath,
      lbId,
      `global\n    stats socket ${join(basePath, `${lbId}.sock`)} mode 0666 level user\n\nfrontend ${listenerId}\n    mode http\n    bind 127.0.0.1:1\n\nfrontend prometheus-exporter-internal-endpoint\n    mode http\n`,
    );
    const receiver = await startPythonReceiver('127.0.0.1', [KEY]);
    try {
      const config = heartbeatConfig({
        amphora_agent: { amphora_id: 'unheard-amphora', network_namespace: '' },
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: KEY, controller_ip_port_list: `127.0.0.1:${receiver.port}`, heartbeat_interval: '1' },
      });
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
      const beat = await loop.beat();
      assert.equal(beat.sent, 1);
      assert.equal(beat.problems[0]?.source, `haproxy ${lbId}`);
      const [received] = await receiver.waitFor(1);
      const message = received!.results[KEY]!.ok as unknown as Decoded;
      assert.deepEqual(Object.keys(message.listeners), [listenerId], 'the configured listener, internal proxies left out');
      assert.equal(message.listeners[listenerId]!.status, 'OPEN');
    } finally {
      await silent.close();
      await receiver.stop();
    }
  });
});
