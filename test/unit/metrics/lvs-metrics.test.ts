import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeFamilies, renderFamilies } from '../../../agent/metrics/exposition.ts';
import { translateExposition, isValidExpositionLine } from '../../../agent/metrics/haproxy-translation.ts';
import { collectLvsMetrics } from '../../../agent/metrics/lvs-metrics.ts';
import * as F from '../../helpers/lvs-fixtures.ts';

// This kernel has no IPVS: ipvsadm's output is the recorded one the heartbeat tests use.

/** The metrics read ipvsadm alone; /proc/net/ip_vs answers with an error if it were read. */
const layout = (ipvsadm: 'ok' | Error = 'ok') => F.recordedLvsLayout(new Error('/proc/net/ip_vs is not read for metrics'), ipvsadm);

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
