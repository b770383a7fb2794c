import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HAPROXY_METRIC_FAMILIES } from '../../../agent/metrics/haproxy-metric-table.ts';
import { ExpositionTranslator, isValidExpositionLine, translateExposition, translateLine } from '../../../agent/metrics/haproxy-translation.ts';
import { formatOneDecimal, hostUsageLines, memoryPercentFromMeminfo } from '../../../agent/metrics/host-usage.ts';

// The fixture pair Debian's python3-octavia installs with Octavia's own proxy test: haproxy
// exporter output in, the proxy's answer out (CPU load 1 on 2 CPUs, memory 23.5 %).
const FIXTURES = '/usr/lib/python3/dist-packages/octavia/tests/common';
const haproxyFixture = readFileSync(`${FIXTURES}/sample_haproxy_prometheus`, 'utf8');
const octaviaFixture = readFileSync(`${FIXTURES}/sample_octavia_prometheus`, 'utf8');

test('the installed upstream fixture is reproduced byte for byte', () => {
  const translated = translateExposition(haproxyFixture);
  const body = hostUsageLines({ cpuPercent: (1 / 2) * 100, memoryPercent: 23.5 }) + translated.output.toString();
  assert.equal(translated.invalid.length, 0);
  assert.equal(body, octaviaFixture);
  assert.equal(haproxyFixture.split('\n').length - 1, 886);
  assert.equal(octaviaFixture.split('\n').length - 1, 695);
});

test('the table has 142 families: 31 load balancer, 27 listener, 44 pool, 40 member', () => {
  const count = (scope: string) => HAPROXY_METRIC_FAMILIES.filter(([s]) => s === scope).length;
  assert.deepEqual([count('loadbalancer'), count('listener'), count('pool'), count('member')], [31, 27, 44, 40]);
});

test('every family: HELP, TYPE and sample translated, labels renamed per scope', () => {
  const labels = { loadbalancer: '', listener: '{proxy="L1"}', pool: '{proxy="P1:L1"}', member: '{proxy="P1:L1",server="M1",code="2xx"}' };
  const expectedLabels = { loadbalancer: '', listener: '{listener="L1"}', pool: '{pool="P1:L1"}', member: '{pool="P1:L1",member="M1",code="2xx"}' };
  for (const [scope, haproxyName, octaviaName, help] of HAPROXY_METRIC_FAMILIES) {
    if (haproxyName === 'haproxy_process_frontent_ssl_reuse') continue; // Octavia's misspelt key: see below
    assert.equal(translateLine(`# HELP ${haproxyName} Upstream words.\n`), `# HELP ${octaviaName} ${help ?? 'Upstream words.'}\n`);
    assert.equal(translateLine(`# TYPE ${haproxyName} counter\n`), `# TYPE ${octaviaName} counter\n`);
    assert.equal(translateLine(`${haproxyName}${labels[scope]} 0.001000\n`), `${octaviaName}${expectedLabels[scope]} 0.001000\n`);
  }
});

test('dropped: unknown families, the internal exporter path, labelled process metrics, haproxy\'s real ssl_reuse name', () => {
  assert.equal(translateLine('# HELP haproxy_process_nbthread Configured number of threads.\n'), undefined);
  assert.equal(translateLine('haproxy_process_nbthread 1\n'), undefined);
  assert.equal(translateLine('haproxy_backend_weight{proxy="x"} 2\n'), undefined);
  assert.equal(translateLine('haproxy_frontend_status{proxy="prometheus-exporter-internal-endpoint"} 1\n'), undefined);
  assert.equal(translateLine('haproxy_process_current_connections{x="y"} 1\n'), undefined);
  assert.equal(translateLine('haproxy_process_frontend_ssl_reuse 0\n'), undefined);
});

test('the first key in table order wins, whole-name keys keep prefixes apart', () => {
  assert.equal(translateLine('haproxy_backend_max_queue_time_seconds{proxy="p"} 0\n'), 'octavia_pool_max_queue_time_seconds{pool="p"} 0\n');
  assert.equal(translateLine('haproxy_backend_max_queue{proxy="p"} 0\n'), 'octavia_pool_max_queue{pool="p"} 0\n');
  // A label value naming an earlier family picks that family, as Octavia's substring match does.
  assert.equal(
    translateLine('haproxy_server_weight{proxy="haproxy_frontend_status{",server="s"} 1\n'),
    'haproxy_server_weight{listener="octavia_listener_status{",server="s"} 1\n',
  );
});

test('garbage from the upstream is dropped so that Prometheus still accepts the rest', () => {
  const upstream = [
    '# TYPE haproxy_frontend_status gauge',
    'haproxy_frontend_status{proxy="a"} 1',
    'haproxy_frontend_status{proxy="b" 1',
    'haproxy_frontend_status{proxy="c"} one',
    '\u0000\u0001 binary junk haproxy_frontend_status ',
    'haproxy_frontend_status{proxy="cut',
  ].join('\n');
  const result = translateExposition(upstream);
  assert.equal(result.output.toString(), '# TYPE octavia_listener_status gauge\noctavia_listener_status{listener="a"} 1\n');
  assert.equal(result.invalid.length, 4);
  for (const line of result.output.toString().split(/(?<=\n)/)) assert.ok(isValidExpositionLine(line));
});

test('CPU and memory are printed as Python prints them', () => {
  assert.equal(formatOneDecimal(50), '50.0');
  assert.equal(formatOneDecimal(23.5), '23.5');
  assert.equal(formatOneDecimal(0.25), '0.2');
  assert.equal(formatOneDecimal(0.75), '0.8');
  assert.equal(formatOneDecimal(12.5), '12.5');
  assert.equal(formatOneDecimal(1.05), '1.1'); // 1.05 is slightly above the tie in binary
  const meminfo = 'MemTotal:        1000 kB\nMemFree:          100 kB\nMemAvailable:     765 kB\n';
  assert.equal(formatOneDecimal(memoryPercentFromMeminfo(meminfo)), '23.5');
  assert.equal(memoryPercentFromMeminfo('MemTotal: 100 kB\nMemFree: 40 kB\nMemAvailable: 150 kB\n'), 60);
});

test('translated in runs and in chunks of any size, the output is what line-by-line translation gives', () => {
  const lineByLine = haproxyFixture
    .split(/(?<=\n)/u)
    .map((line) => translateLine(line) ?? '')
    .join('');
  for (const size of [1, 7, 100, 4096, haproxyFixture.length]) {
    const translator = new ExpositionTranslator();
    for (let offset = 0; offset < haproxyFixture.length; offset += size) translator.push(haproxyFixture.slice(offset, offset + size));
    assert.equal(translator.end().output.toString(), lineByLine, `chunks of ${size}`);
  }
});

test('a run stops at a line of another family, a dropped line or a malformed sample', () => {
  const upstream = [
    'haproxy_server_weight{proxy="p",server="a"} 1',
    'haproxy_server_weight{proxy="p",server="b"} 1',
    'haproxy_server_weight{proxy="prometheus-exporter-internal",server="x"} 1',
    'haproxy_server_weight{proxy="p",server="c"} 1 2 3',
    'haproxy_server_weight{proxy="p",server="d"} 1',
    'haproxy_server_weight{proxy="p",server="haproxy_frontend_status{"} 1',
    'haproxy_server_weight{proxy="p",server="e"} 0x10',
    '',
  ].join('\n');
  const result = translateExposition(upstream);
  assert.equal(
    result.output.toString(),
    [
      'octavia_member_weight{pool="p",member="a"} 1',
      'octavia_member_weight{pool="p",member="b"} 1',
      'octavia_member_weight{pool="p",member="d"} 1',
      'haproxy_server_weight{listener="p",server="octavia_listener_status{"} 1',
      '',
    ].join('\n'),
  );
  assert.equal(result.invalid.length, 2);
  assert.equal(result.familyEnds.get('octavia_member_weight'), Buffer.byteLength('octavia_member_weight{pool="p",member="a"} 1\noctavia_member_weight{pool="p",member="b"} 1\noctavia_member_weight{pool="p",member="d"} 1\n'));
});
