import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../../agent/cli/errors.ts';
import { formatList, formatShow, renderTable } from '../../../agent/cli/output.ts';
import { operatingStatuses, statusTree } from '../../../agent/cli/status.ts';
import { validateModel } from '../../../agent/model/validation.ts';
import type { LoadBalancerModel } from '../../../agent/model/types.ts';

test('show prints a Field/Value box, sorted, with openstack spellings of values', () => {
  const text = formatShow({ name: 'lb1', admin_state_up: true, description: null, listeners: ['l1', 'l2'] }, { format: 'table', columns: [] });
  assert.equal(
    text,
    [
      '+----------------+-------+',
      '| Field          | Value |',
      '+----------------+-------+',
      '| admin_state_up | True  |',
      '| description    | None  |',
      '| listeners      | l1    |',
      '|                | l2    |',
      '| name           | lb1   |',
      '+----------------+-------+',
      '',
    ].join('\n'),
  );
});

test('list prints columns; -c selects and orders them; value and json formats', () => {
  const rows = [
    { id: 'a', name: 'one', weight: 1 },
    { id: 'bb', name: 'two', weight: 10 },
  ];
  assert.equal(
    formatList(['id', 'name', 'weight'], rows, { format: 'table', columns: ['weight', 'id'] }),
    ['+--------+----+', '| weight | id |', '+--------+----+', '| 1      | a  |', '| 10     | bb |', '+--------+----+', ''].join('\n'),
  );
  assert.equal(formatList(['id', 'name'], rows, { format: 'value', columns: [] }), 'a one\nbb two\n');
  assert.deepEqual(JSON.parse(formatList(['id', 'name'], rows, { format: 'json', columns: ['name'] })), [{ name: 'one' }, { name: 'two' }]);
  assert.equal(formatShow({ id: 'x', name: 'y' }, { format: 'value', columns: ['name'] }), 'y\n');
  assert.deepEqual(JSON.parse(formatShow({ id: 'x', flag: false }, { format: 'json', columns: [] })), { flag: false, id: 'x' });
  assert.throws(() => formatShow({ id: 'x' }, { format: 'table', columns: ['nope'] }), (e: unknown) => e instanceof CliError && /no such column: nope/.test(e.message));
});

test('an empty list is a header box only', () => {
  assert.equal(renderTable(['id', 'name'], []), '+----+------+\n| id | name |\n+----+------+\n');
});

function model(): LoadBalancerModel {
  const result = validateModel({
    loadbalancer: {
      id: 'lb',
      vip: { ip_address: '127.0.0.1' },
      listeners: [{ id: 'l1', protocol: 'HTTP', protocol_port: 80, default_pool_id: 'p1' }],
      pools: [
        {
          id: 'p1',
          protocol: 'HTTP',
          lb_algorithm: 'ROUND_ROBIN',
          healthmonitor: { id: 'h1', type: 'HTTP', delay: 5, timeout: 10, max_retries: 2 },
          members: [
            { id: 'm1', address: '127.0.0.1', protocol_port: 81 },
            { id: 'm2', address: '127.0.0.1', protocol_port: 82 },
            { id: 'm3', address: '127.0.0.1', protocol_port: 83 },
          ],
        },
      ],
    },
  });
  assert.ok(result.ok);
  return result.model;
}

test('live statuses map as Octavia maps a heartbeat; a DOWN member degrades pool and LB', () => {
  const live = {
    running: true,
    listeners: [{ id: 'l1', status: 'OPEN' }],
    pools: [{ id: 'p1', listener_id: 'l1', status: 'UP', members: [{ id: 'm1', status: 'UP' }, { id: 'm2', status: 'DOWN 1/2' }, { id: 'm3', status: 'MAINT' }] }],
  };
  const statuses = operatingStatuses(model(), live);
  assert.deepEqual(Object.fromEntries(statuses), { l1: 'ONLINE', m1: 'ONLINE', m2: 'ERROR', m3: 'OFFLINE', p1: 'DEGRADED', h1: 'ONLINE', lb: 'DEGRADED' });
  const tree = statusTree(model(), statuses) as { loadbalancer: { listeners: { pools: { members: { id: string; operating_status: string }[]; health_monitor: { id: string } }[] }[] } };
  const pool = tree.loadbalancer.listeners[0]!.pools[0]!;
  assert.equal(pool.health_monitor.id, 'h1');
  assert.deepEqual(pool.members.map((m) => [m.id, m.operating_status]), [['m1', 'ONLINE'], ['m2', 'ERROR'], ['m3', 'OFFLINE']]);
});

test('a stopped haproxy, a DOWN backend and FULL listener', () => {
  assert.equal(operatingStatuses(model(), { running: false, listeners: [], pools: [] }).get('lb'), 'OFFLINE');
  const down = operatingStatuses(model(), { running: true, listeners: [{ id: 'l1', status: 'FULL' }], pools: [{ id: 'p1', listener_id: 'l1', status: 'DOWN', members: [{ id: 'm1', status: 'no check' }] }] });
  assert.equal(down.get('l1'), 'DEGRADED');
  assert.equal(down.get('p1'), 'ERROR');
  assert.equal(down.get('m1'), 'NO_MONITOR');
  assert.equal(down.get('lb'), 'ERROR');
});
