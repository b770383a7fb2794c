import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseShowStat, splitCsvLine, StatsParseError } from '../../../agent/heartbeat/haproxy-stats.ts';

const HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,';

function row(fields: Record<string, string>): string {
  const names = HEADER.slice(2).split(',');
  return names.map((name) => fields[name] ?? '').join(',');
}

const answer = [
  HEADER,
  row({ pxname: 'listener-id', svname: 'FRONTEND', scur: '3', stot: '12', bin: '100', bout: '2000', ereq: '1', status: 'OPEN', type: '0' }),
  row({ pxname: 'prometheus-exporter-internal-endpoint', svname: 'FRONTEND', status: 'OPEN', type: '0' }),
  row({ pxname: 'tcp-servers:listener-id', svname: 'id-34833', status: 'UP', weight: '1', type: '2' }),
  row({ pxname: 'tcp-servers:listener-id', svname: 'id-34836', status: 'UP', weight: '0', type: '2' }),
  row({ pxname: 'tcp-servers:listener-id', svname: 'id-34839', status: 'DRAIN', weight: '0', type: '2' }),
  row({ pxname: 'tcp-servers:listener-id', svname: 'id-34842', status: 'MAINT', weight: '1', type: '2' }),
  row({ pxname: 'tcp-servers:listener-id', svname: 'id-34845', status: 'no check', weight: '0', type: '2' }),
  row({ pxname: 'tcp-servers:listener-id', svname: 'BACKEND', status: 'UP', weight: '1', type: '1' }),
  row({ pxname: 'http-servers:listener-id', svname: 'id-34821', status: 'DOWN', weight: '1', type: '2' }),
  row({ pxname: 'http-servers:listener-id', svname: 'id-34824', status: 'DOWN 1/2', weight: '1', type: '2' }),
  row({ pxname: 'http-servers:listener-id', svname: 'BACKEND', status: 'DOWN', type: '1' }),
  row({ pxname: 'prometheus-exporter-internal', svname: 'prometheus-internal', status: 'no check', type: '2' }),
  row({ pxname: 'prometheus-exporter-internal', svname: 'BACKEND', status: 'UP', type: '1' }),
  '',
].join('\n');

test('listeners from frontends, pools and members from backends and servers (spec worked example)', () => {
  const stats = parseShowStat(answer);
  assert.deepEqual(stats.listeners, [
    { listenerId: 'listener-id', status: 'OPEN', counters: { bin: 100n, bout: 2000n, ereq: 1n, stot: 12n, scur: 3n } },
  ]);
  assert.deepEqual(
    stats.pools.map((pool) => [pool.key, pool.status, Object.fromEntries(pool.members)]),
    [
      ['tcp-servers:listener-id', 'UP', { 'id-34833': 'UP', 'id-34836': 'DRAIN', 'id-34839': 'DRAIN', 'id-34842': 'MAINT', 'id-34845': 'no check' }],
      ['http-servers:listener-id', 'DOWN', { 'id-34821': 'DOWN', 'id-34824': 'DOWN 1/2' }],
    ],
  );
});

test('a backend not named pool_id:listener_id makes the answer unusable', () => {
  const bad = [HEADER, row({ pxname: 'a:b:c', svname: 'BACKEND', status: 'UP', type: '1' })].join('\n');
  assert.throws(() => parseShowStat(bad), StatsParseError);
  assert.throws(() => parseShowStat('Unknown command'), StatsParseError);
});

test('quoted CSV fields', () => {
  assert.deepEqual(splitCsvLine('a,"b,c","d ""e""",'), ['a', 'b,c', 'd "e"', '']);
});
