import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStoredModel } from '../../../agent/apply/store.ts';

const model = {
  loadbalancer: {
    id: 'lb-1',
    vip: { ip_address: '192.0.2.10' },
    listeners: [{ id: 'listener-1', protocol: 'HTTP', protocol_port: 80 }],
    pools: [],
  },
};
const digest = 'd41d8cd98f00b204e9800998ecf8427e';

test('a stored model is read back validated, with its digests', () => {
  const stored = parseStoredModel(JSON.stringify({ config_md5: digest, lvs_md5: { 'udp-1': digest }, model }));
  assert.ok(stored);
  assert.equal(stored.config_md5, digest);
  assert.deepEqual(stored.lvs_md5, { 'udp-1': digest });
  assert.equal(stored.model.loadbalancer.listeners[0]!.protocol_port, 80);
  assert.equal(stored.model.loadbalancer.listeners[0]!.admin_state_up, true, 'defaults filled as on upload');
  assert.equal(parseStoredModel(JSON.stringify({ config_md5: null, model }))?.config_md5, null);
});

test('a model.json edited or damaged on disk is no stored model', () => {
  const bad = [
    '{"config_md5": ',
    '[]',
    JSON.stringify({ model }),
    JSON.stringify({ config_md5: 'not-a-digest', model }),
    JSON.stringify({ config_md5: digest, lvs_md5: { '../escape': digest }, model }),
    JSON.stringify({ config_md5: digest, lvs_md5: { 'udp-1': 42 }, model }),
    JSON.stringify({ config_md5: digest, lvs_md5: [digest], model }),
    JSON.stringify({ config_md5: digest }),
    JSON.stringify({ config_md5: digest, model: { loadbalancer: { ...model.loadbalancer, listeners: [{ id: 'l', protocol: 'HTTP', protocol_port: 70000 }] } } }),
  ];
  for (const text of bad) assert.equal(parseStoredModel(text), undefined, text);
});
