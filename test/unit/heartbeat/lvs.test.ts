import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { collectLvs, type LvsCommands } from '../../../agent/heartbeat/lvs-collector.ts';
import { parseIpvsadm, parseLvsConfig, parseProcIpVs } from '../../../agent/heartbeat/lvs-parse.ts';
import * as F from '../../helpers/lvs-fixtures.ts';

// The parsers and the collector get recorded ipvsadm and /proc/net/ip_vs outputs (the
// commands are injected), so these tests mean the same on a kernel with IPVS and without.

test('parses the dual-stack reference config (VIPs, members by position, disabled last)', () => {
  const text = `# Configuration for Listener 9b7d7a52-0f3e-4c8e-8d0e-3f4c2a1b0c01

net_namespace amphora-haproxy

virtual_server_group ipv4-group {
    203.0.113.10 53
}

virtual_server group ipv4-group {
    # Configuration for Pool c2d8e6f4-1a2b-4c3d-8e9f-0a1b2c3d4e5f
    # Configuration for HealthMonitor e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9
    # Configuration for Member 1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
    real_server 10.0.0.5 5353 {
        MISC_CHECK {
        }
    }
    # Member 3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b is disabled
}
virtual_server_group ipv6-group {
    2001:db8:0::10 53
}

virtual_server group ipv6-group {
    # Configuration for Pool c2d8e6f4-1a2b-4c3d-8e9f-0a1b2c3d4e5f
    # Configuration for Member 4d5e6f70-8192-43a4-b5c6-d7e8f90a1b2c
    real_server 2001:db8:1:0::5 5353 {
    }
}
`;
  assert.deepEqual(parseLvsConfig(text), {
    disabled: false,
    namespace: 'amphora-haproxy',
    vips: ['203.0.113.10:53', '[2001:db8::10]:53'],
    poolId: 'c2d8e6f4-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
    healthMonitor: true,
    members: [
      { id: '1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', ipPort: '10.0.0.5:5353' },
      { id: '4d5e6f70-8192-43a4-b5c6-d7e8f90a1b2c', ipPort: '[2001:db8:1::5]:5353' },
      { id: '3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b', ipPort: undefined },
    ],
  });
  assert.equal(parseLvsConfig(F.LVS_CONFIG_DISABLED).disabled, true);
  assert.deepEqual(parseLvsConfig(F.LVS_CONFIG_NO_POOL).vips, []);
});

test('parses both ipvsadm outputs', () => {
  const connections = parseIpvsadm(F.IPVSADM_LN);
  assert.deepEqual([...connections.keys()], ['10.0.0.37:7777']);
  assert.deepEqual(connections.get('10.0.0.37:7777')!.realServers.map((rs) => rs.get('ActiveConn')), ['0', '0']);
  const stats = parseIpvsadm(F.IPVSADM_STATS).get('10.0.0.37:7777')!;
  assert.equal(stats.service.get('Conns'), '5');
  assert.equal(stats.service.get('InBytes'), '6387472');
  assert.equal(stats.service.get('OutBytes'), '7490');
  assert.equal(stats.realServers[1]!.get('OutBytes'), '4494');
  assert.equal(parseIpvsadm('').size, 0);
});

test('reads the kernel table of the listener VIPs only', () => {
  const table = parseProcIpVs(F.PROC_IP_VS, ['10.0.0.37:7777']);
  assert.deepEqual([...table.keys()], ['10.0.0.35:3333', '10.0.0.25:2222']);
  assert.equal(table.get('10.0.0.35:3333')!.get('Weight'), '2');
  const v6 = parseProcIpVs(
    'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\nUDP  [fd79:35e2:9963:0000:f816:3eff:fe6d:7a2a]:1E61 rr\n  -> [fd79:35e2:9963:0000:f816:3eff:feca:b7bf]:08AE      Masq    3      0          0\n',
    ['[fd79:35e2:9963:0:f816:3eff:fe6d:7a2a]:7777'],
  );
  assert.deepEqual([...v6.keys()], ['[fd79:35e2:9963:0:f816:3eff:feca:b7bf]:2222']);
});

type Layout = F.RecordedLvsLayout;
const layout = F.recordedLvsLayout;

const options = (l: Layout) => ({ paths: l.paths, namespace: 'amphora-haproxy', timeoutMs: 1000, commands: l.commands });

test('running, enabled UDP listeners: stats from ipvsadm, member statuses from the kernel table', async () => {
  const l = await layout(F.PROC_IP_VS);
  try {
    const result = await collectLvs(options(l));
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.listeners, [
      { listenerId: F.LISTENER_ID, status: 'OPEN', counters: { bin: 6387472n, bout: 7490n, scur: 0n, stot: 5n, ereq: 0n } },
      { listenerId: F.EMPTY_LISTENER_ID, status: 'OPEN', counters: { bin: 0n, bout: 0n, scur: 0n, stot: 0n, ereq: 0n } },
    ]);
    assert.deepEqual(result.pools.map((pool) => [pool.key, pool.status, Object.fromEntries(pool.members)]), [
      [F.POOL_ID, 'UP', { [F.MEMBER_UP]: 'UP', [F.MEMBER_UP_2]: 'UP', [F.MEMBER_GONE]: 'DOWN', [F.MEMBER_DISABLED]: 'MAINT' }],
    ]);
    assert.ok(l.calls.includes('amphora-haproxy ipvsadm -Ln --stats --exact'));
  } finally {
    await l.remove();
  }
});

test('a config newer than the checker pid file turns missing members into RESTARTING; weight 0 is DRAIN', async () => {
  const l = await layout(F.PROC_IP_VS_DRAINED);
  try {
    const past = new Date(Date.now() - 120_000);
    await utimes(join(l.paths.lvsDir, `octavia-keepalivedlvs-${F.LISTENER_ID}.check.pid`), past, past);
    const now = new Date();
    await utimes(join(l.paths.lvsDir, `octavia-keepalivedlvs-${F.LISTENER_ID}.conf`), now, now);
    const pool = (await collectLvs(options(l))).pools[0]!;
    assert.equal(pool.members.get(F.MEMBER_GONE), 'RESTARTING');
    assert.equal(pool.members.get(F.MEMBER_UP_2), 'DRAIN');
  } finally {
    await l.remove();
  }
});

test('an empty kernel table with a health monitor: pool DOWN, members DOWN, disabled MAINT', async () => {
  const l = await layout(F.PROC_IP_VS_EMPTY);
  try {
    const pool = (await collectLvs(options(l))).pools[0]!;
    assert.equal(pool.status, 'DOWN');
    assert.deepEqual(Object.fromEntries(pool.members), {
      [F.MEMBER_UP]: 'DOWN',
      [F.MEMBER_UP_2]: 'DOWN',
      [F.MEMBER_GONE]: 'DOWN',
      [F.MEMBER_DISABLED]: 'MAINT',
    });
  } finally {
    await l.remove();
  }
});

test('failing commands still report the listeners: no stats, members RESTARTING, a problem noted', async () => {
  const l = await layout(new Error('cat: /proc/net/ip_vs: No such file'), new Error('Can\'t initialize ipvs'));
  try {
    const result = await collectLvs(options(l));
    assert.deepEqual(result.listeners.map((listener) => [listener.listenerId, listener.status, listener.counters]), [
      [F.LISTENER_ID, 'OPEN', undefined],
      [F.EMPTY_LISTENER_ID, 'OPEN', { bin: 0n, bout: 0n, scur: 0n, stot: 0n, ereq: 0n }],
    ]);
    assert.equal(result.pools[0]!.status, 'UNKNOWN');
    assert.equal(result.pools[0]!.members.get(F.MEMBER_UP), 'RESTARTING');
    assert.equal(result.pools[0]!.members.get(F.MEMBER_DISABLED), 'MAINT');
    assert.deepEqual(result.problems.map((problem) => problem.source).sort(), ['ipvsadm', `lvs ${F.LISTENER_ID}`]);
  } finally {
    await l.remove();
  }
});

test('one ipvsadm call per pass: current connections come from the kernel table', async () => {
  const l = await layout(F.PROC_IP_VS.replace('0A000023:0D05      Masq    2      0', '0A000023:0D05      Masq    2      7'));
  try {
    const result = await collectLvs(options(l));
    assert.deepEqual(l.calls.filter((call) => call.includes('ipvsadm')), ['amphora-haproxy ipvsadm -Ln --stats --exact']);
    assert.equal(result.listeners.find((listener) => listener.listenerId === F.LISTENER_ID)?.counters?.scur, 7n);
  } finally {
    await l.remove();
  }
});

test('commands that miss the deadline cost the statistics, never the listeners', async () => {
  const l = await layout(F.PROC_IP_VS);
  const never = new Promise<string>(() => undefined);
  const stalled: LvsCommands = { ipvsadm: async () => never, readIpVs: async () => never };
  try {
    const started = Date.now();
    const result = await collectLvs({ ...options(l), timeoutMs: 200, commands: stalled });
    assert.ok(Date.now() - started < 1500, 'the pass ends at its deadline');
    assert.deepEqual(result.listeners.map((listener) => [listener.listenerId, listener.status, listener.counters]), [
      [F.LISTENER_ID, 'OPEN', undefined],
      [F.EMPTY_LISTENER_ID, 'OPEN', { bin: 0n, bout: 0n, scur: 0n, stot: 0n, ereq: 0n }],
    ]);
    assert.equal(result.pools[0]!.members.get(F.MEMBER_UP), 'RESTARTING');
    assert.ok(result.problems.some((problem) => problem.source === 'ipvsadm' && /deadline/u.test(problem.message)));
  } finally {
    await l.remove();
  }
});
