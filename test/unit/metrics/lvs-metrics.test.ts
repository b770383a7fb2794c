import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../../agent/config/load.ts';
import { pathsFor } from '../../../agent/config/paths.ts';
import type { LvsCommands } from '../../../agent/heartbeat/lvs-collector.ts';
import { mergeFamilies, renderFamilies } from '../../../agent/metrics/exposition.ts';
import { translateExposition, isValidExpositionLine } from '../../../agent/metrics/haproxy-translation.ts';
import { collectLvsMetrics } from '../../../agent/metrics/lvs-metrics.ts';
import * as F from '../../helpers/lvs-fixtures.ts';

// This kernel has no IPVS: ipvsadm's output is the recorded one the heartbeat tests use.

async function layout(ipvsadm: 'ok' | Error = 'ok') {
  const dir = await mkdtemp(join(tmpdir(), 'metrics-lvs-'));
  const paths = pathsFor(buildConfig(new Map([['haproxy_amphora', new Map([['base_path', [dir]]])]])));
  await mkdir(paths.lvsDir, { recursive: true });
  const write = async (id: string, config: string, running: boolean) => {
    await writeFile(join(paths.lvsDir, `octavia-keepalivedlvs-${id}.conf`), config);
    // Our own pid stands for a running keepalived.
    await writeFile(join(paths.lvsDir, `octavia-keepalivedlvs-${id}.pid`), running ? `${process.pid}\n` : '999999999\n');
  };
  await write(F.LISTENER_ID, F.LVS_CONFIG, true);
  await write(F.EMPTY_LISTENER_ID, F.LVS_CONFIG_NO_POOL, true);
  await write(F.DISABLED_LISTENER_ID, F.LVS_CONFIG_DISABLED, true);
  await write('d1c2b3a4-0000-4000-8000-00000000dead', F.LVS_CONFIG, false);
  const calls: string[] = [];
  const commands: LvsCommands = {
    async ipvsadm(args, namespace) {
      calls.push(`${namespace} ipvsadm ${args.join(' ')}`);
      if (ipvsadm instanceof Error) throw ipvsadm;
      return args.includes('--stats') ? F.IPVSADM_STATS : F.IPVSADM_LN;
    },
    async readIpVs() {
      throw new Error('not used for metrics');
    },
  };
  return { paths, commands, calls, remove: () => rm(dir, { recursive: true, force: true }) };
}

const POOL = `${F.POOL_ID}:${F.LISTENER_ID}`;

test('UDP listener, pool and members from recorded ipvsadm output, under Octavia\'s names', async () => {
  const l = await layout();
  try {
    const text = renderFamilies(await collectLvsMetrics({ paths: l.paths, namespace: 'amphora-haproxy', commands: l.commands }));
    const lines = text.split('\n').filter(Boolean);
    for (const line of lines) assert.ok(isValidExpositionLine(`${line}\n`), line);
    const expected = [
      `octavia_listener_status{listener="${F.LISTENER_ID}"} 1`,
      `octavia_listener_sessions_total{listener="${F.LISTENER_ID}"} 5`,
      `octavia_listener_bytes_in_total{listener="${F.LISTENER_ID}"} 6387472`,
      `octavia_listener_bytes_out_total{listener="${F.LISTENER_ID}"} 7490`,
      `octavia_listener_packets_in_total{listener="${F.LISTENER_ID}"} 4264`,
      `octavia_listener_status{listener="${F.EMPTY_LISTENER_ID}"} 1`,
      `octavia_member_status{pool="${POOL}",member="${F.MEMBER_UP}"} 1`,
      `octavia_member_weight{pool="${POOL}",member="${F.MEMBER_UP}"} 3`,
      `octavia_member_sessions_total{pool="${POOL}",member="${F.MEMBER_UP}"} 2`,
      `octavia_member_bytes_in_total{pool="${POOL}",member="${F.MEMBER_UP_2}"} 3831884`,
      `octavia_member_packets_out_total{pool="${POOL}",member="${F.MEMBER_UP_2}"} 3`,
      `octavia_member_status{pool="${POOL}",member="${F.MEMBER_GONE}"} 0`,
      `octavia_member_status{pool="${POOL}",member="${F.MEMBER_DISABLED}"} 2`,
      `octavia_pool_active_members{pool="${POOL}"} 2`,
      `octavia_pool_sessions_total{pool="${POOL}"} 5`,
      `octavia_pool_bytes_out_total{pool="${POOL}"} 7490`,
      `octavia_pool_status{pool="${POOL}"} 1`,
    ];
    for (const line of expected) assert.ok(lines.includes(line), `missing: ${line}\n${text}`);
    assert.ok(!text.includes(F.DISABLED_LISTENER_ID), 'a disabled listener is not reported');
    assert.ok(!text.includes('00000000dead'), 'a listener whose keepalived is not running is not reported');
    assert.equal(lines.filter((line) => line.startsWith('# TYPE octavia_member_status ')).length, 1);
    assert.deepEqual(l.calls, ['amphora-haproxy ipvsadm -Ln', 'amphora-haproxy ipvsadm -Ln --stats --exact']);
  } finally {
    await l.remove();
  }
});

test('ipvsadm failing: the listeners are still reported, with zero counters and members down', async () => {
  const l = await layout(new Error('ipvsadm: no IPVS'));
  try {
    const text = renderFamilies(await collectLvsMetrics({ paths: l.paths, namespace: 'ns', commands: l.commands }));
    assert.ok(text.includes(`octavia_listener_status{listener="${F.LISTENER_ID}"} 1\n`));
    assert.ok(text.includes(`octavia_listener_sessions_total{listener="${F.LISTENER_ID}"} 0\n`));
    assert.ok(text.includes(`octavia_member_status{pool="${POOL}",member="${F.MEMBER_UP}"} 0\n`));
  } finally {
    await l.remove();
  }
});

test('UDP samples join the haproxy family of the same name; families haproxy lacks follow whole', async () => {
  const l = await layout();
  try {
    const haproxy = translateExposition(
      [
        '# HELP haproxy_server_status Current status of the server.',
        '# TYPE haproxy_server_status gauge',
        'haproxy_server_status{proxy="p:l",server="m"} 1',
        '# HELP haproxy_server_weight Service weight.',
        '# TYPE haproxy_server_weight gauge',
        'haproxy_server_weight{proxy="p:l",server="m"} 1',
        '',
      ].join('\n'),
    );
    const merged = Buffer.concat(mergeFamilies(haproxy.output.view(), haproxy.familyEnds, await collectLvsMetrics({ paths: l.paths, namespace: 'ns', commands: l.commands }))).toString();
    const lines = merged.split('\n');
    const statusLines = lines.slice(0, 7);
    assert.equal(statusLines[0], '# HELP octavia_member_status Current status of the member. 0=ERROR, 1=ONLINE, 2=OFFLINE, 3=DRAIN.');
    assert.equal(statusLines[2], 'octavia_member_status{pool="p:l",member="m"} 1');
    assert.equal(statusLines[3], `octavia_member_status{pool="${POOL}",member="${F.MEMBER_UP}"} 1`);
    assert.equal(lines.filter((line) => line.startsWith('# TYPE octavia_member_status')).length, 1);
    assert.equal(lines.filter((line) => line.startsWith('# TYPE octavia_member_weight')).length, 1);
    assert.ok(merged.includes('# TYPE octavia_listener_packets_in_total counter\n'));
  } finally {
    await l.remove();
  }
});
