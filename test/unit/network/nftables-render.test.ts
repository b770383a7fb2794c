import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVipRules, renderVipRule, renderVipRuleset } from '../../../agent/network/nftables.ts';

test('rule statements as the reference writes them, with IPv6 VRRP matched on the layer-4 protocol', () => {
  const lines = parseVipRules([
    { protocol: 'TCP', cidr: '192.0.2.0/24', port: 8080 },
    { protocol: 'UDP', cidr: null, port: 53 },
    { protocol: 'SCTP', cidr: '2001:db8::/64', port: 9000 },
    { protocol: 'vrrp', cidr: '203.0.113.7/32', port: 112 },
    { protocol: 'TCP', cidr: '0.0.0.0/0', port: 443 },
    { protocol: 'TCP', cidr: '::/0', port: 444 },
    { protocol: 'vrrp', cidr: '2001:db8::7/128', port: 112 },
    { protocol: 'vrrp', cidr: null, port: 112 },
  ])!.map(renderVipRule);
  assert.deepEqual(lines, [
    'ip saddr 192.0.2.0/24 tcp dport 8080 accept',
    'udp dport 53 accept',
    'ip6 saddr 2001:db8::/64 sctp dport 9000 accept',
    'ip saddr 203.0.113.7/32 ip protocol 112 accept',
    'tcp dport 443 accept',
    'ip6 saddr ::/0 tcp dport 444 accept',
    'ip6 saddr 2001:db8::7/128 meta l4proto 112 accept',
    'ip protocol 112 accept',
  ]);
});

test('the schema: exactly protocol, cidr and port; JSON numbers that are whole ports', () => {
  assert.deepEqual(parseVipRules([]), []);
  assert.deepEqual(parseVipRules(JSON.parse('[{"protocol": "TCP", "cidr": null, "port": 80.0}]')), [{ protocol: 'TCP', cidr: null, port: 80 }]);
  assert.deepEqual(parseVipRules([{ protocol: 'UDP', cidr: '192.0.2.1', port: 1 }]), [{ protocol: 'UDP', cidr: '192.0.2.1', port: 1 }]);
  for (const bad of [
    null,
    {},
    'rules',
    [null],
    [[]],
    [{ protocol: 'tcp', cidr: null, port: 80 }],
    [{ protocol: 'VRRP', cidr: null, port: 112 }],
    [{ protocol: 'TCP', cidr: null }],
    [{ cidr: null, port: 80 }],
    [{ protocol: 'TCP', cidr: 5, port: 80 }],
    [{ protocol: 'TCP', cidr: '192.0.2.0/24/1', port: 80 }],
    [{ protocol: 'TCP', cidr: '192.0.2.0/-1', port: 80 }],
    [{ protocol: 'TCP', cidr: '192.0.2.0/24; drop', port: 80 }],
    [{ protocol: 'TCP', cidr: null, port: true }],
    [{ protocol: 'TCP', cidr: null, port: 1e9 }],
  ]) {
    assert.equal(parseVipRules(bad), undefined, JSON.stringify(bad));
  }
});

test('the base rule set is the full rule set with an empty VIP chain', () => {
  const text = renderVipRuleset([]);
  assert.ok(text.startsWith('table inet amphora_table {}\ndelete table inet amphora_table\n'));
  assert.match(text, /ct state vmap \{ established : accept, related : accept, invalid : drop \}\n {6}iif lo accept\n/u);
  assert.ok(text.endsWith('  chain amphora_vip_chain {\n  }\n}\n'));
});
