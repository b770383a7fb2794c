import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeartbeatLoop } from '../../agent/heartbeat/heartbeat-loop.ts';
import type { LvsCommands } from '../../agent/heartbeat/lvs-collector.ts';
import { silentLogger } from '../../agent/util/logger.ts';
import { heartbeatConfig, withTempDir } from '../helpers/heartbeat-config.ts';
import { startPythonReceiver } from '../helpers/heartbeat-receiver.ts';
import * as F from '../helpers/lvs-fixtures.ts';

/**
 * UDP listeners end to end. This kernel has no IPVS, so ipvsadm and /proc/net/ip_vs are the
 * recorded outputs of lvs-fixtures.ts; everything else (files, pid checks, counters, envelope,
 * UDP, Octavia's decoder) is real.
 */
test('UDP listeners from recorded ipvsadm output reach Octavia\'s receiver as the spec example', async () => {
  assert.equal(existsSync('/proc/net/ip_vs'), false, 'IPVS is not available in this kernel');
  await withTempDir('hb-lvs-e2e-', async (basePath) => {
    const lvsDir = join(basePath, 'lvs');
    await mkdir(lvsDir);
    for (const [id, text] of [[F.LISTENER_ID, F.LVS_CONFIG], [F.EMPTY_LISTENER_ID, F.LVS_CONFIG_NO_POOL]] as const) {
      await writeFile(join(lvsDir, `octavia-keepalivedlvs-${id}.conf`), text);
      await writeFile(join(lvsDir, `octavia-keepalivedlvs-${id}.pid`), `${process.pid}\n`);
    }
    await writeFile(join(lvsDir, `octavia-keepalivedlvs-${F.LISTENER_ID}.check.pid`), '1\n');
    const past = new Date(Date.now() - 60_000);
    await utimes(join(lvsDir, `octavia-keepalivedlvs-${F.LISTENER_ID}.conf`), past, past);

    let stats = F.IPVSADM_STATS;
    const commands: LvsCommands = {
      ipvsadm: async (args) => (args.includes('--stats') ? stats : F.IPVSADM_LN),
      readIpVs: async () => F.PROC_IP_VS,
    };
    const receiver = await startPythonReceiver('127.0.0.1', ['lvs-key']);
    try {
      const config = heartbeatConfig({
        amphora_agent: { amphora_id: '3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01' },
        haproxy_amphora: { base_path: basePath },
        health_manager: { heartbeat_key: 'lvs-key', controller_ip_port_list: `127.0.0.1:${receiver.port}` },
      });
      const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger, lvsCommands: commands });
      await loop.beat();
      // More traffic: 3 more connections, 1000 bytes in, 10 bytes out.
      stats = stats.replace('5     4264        5  6387472     7490', '8     4300        8  6388472     7500');
      await loop.beat();
      await loop.stop();
      const [first, second] = (await receiver.waitFor(2)).map((datagram) => datagram.results['lvs-key']!.ok!);
      assert.deepEqual(first, {
        id: '3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01',
        seq: 0,
        listeners: {
          [F.LISTENER_ID]: { status: 'OPEN', stats: { tx: 7490, rx: 6387472, conns: 0, totconns: 5, ereq: 0 } },
          [F.EMPTY_LISTENER_ID]: { status: 'OPEN', stats: { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 } },
        },
        pools: {
          [F.POOL_ID]: {
            status: 'UP',
            members: { [F.MEMBER_UP]: 'UP', [F.MEMBER_UP_2]: 'UP', [F.MEMBER_GONE]: 'DOWN', [F.MEMBER_DISABLED]: 'MAINT' },
          },
        },
        ver: 3,
      });
      assert.deepEqual((second!.listeners as Record<string, { stats: unknown }>)[F.LISTENER_ID]!.stats, {
        tx: 10,
        rx: 1000,
        conns: 0,
        totconns: 3,
        ereq: 0,
      });
    } finally {
      await receiver.stop();
    }
  });
});
