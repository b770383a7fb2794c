import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandExpectedCodes } from '../../../agent/model/rules.ts';
import { OWASP_SUITE_B_CIPHERS } from '../../../agent/model/types.ts';
import { validateModel } from '../../../agent/model/validation.ts';
import type { FieldError } from '../../../agent/model/validation-kit.ts';
import { fixtureB, listenerOf, poolOf, tlsMaterial, udpFixture, type Json } from '../../helpers/model-fixtures.ts';

function errorsOf(model: unknown): FieldError[] {
  const result = validateModel(model);
  assert.equal(result.ok, false, 'model should be refused');
  return result.ok ? [] : result.errors;
}

function assertRefused(model: unknown, path: string, reasonPart?: string): void {
  const errors = errorsOf(model);
  const hit = errors.find((e) => e.path === path);
  assert.ok(hit, `expected an error at ${path}, got ${JSON.stringify(errors)}`);
  if (reasonPart) assert.match(hit.reason, new RegExp(reasonPart));
}

test('fixture B is valid and gets Octavia API defaults', () => {
  const result = validateModel(fixtureB());
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const lb = result.model.loadbalancer;
  assert.equal(lb.admin_state_up, true);
  assert.equal(lb.listeners[0]?.admin_state_up, true);
  assert.equal(lb.listeners[0]?.client_authentication, 'NONE');
  assert.equal(lb.listeners[0]?.tls_ciphers, null, 'no cipher default on plain HTTP listeners');
  assert.equal(lb.pools[0]?.members[0]?.backup, false);
  assert.equal(lb.pools[0]?.healthmonitor?.http_version, 1.0);
});

test('defaults: weight 1, max_retries_down 3, GET / 200, TERMINATED_HTTPS TLS defaults', () => {
  const model = fixtureB();
  delete poolOf(model).members[0].weight;
  poolOf(model).healthmonitor = { id: 'hm', type: 'HTTP', delay: 5, timeout: 10, max_retries: 2 };
  const listener = listenerOf(model);
  listener.protocol = 'TERMINATED_HTTPS';
  listener.protocol_port = 443;
  listener.default_tls_container = tlsMaterial('a');
  const result = validateModel(model);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const lb = result.model.loadbalancer;
  assert.equal(lb.pools[0]?.members[0]?.weight, 1);
  assert.deepEqual(
    [lb.pools[0]?.healthmonitor?.max_retries_down, lb.pools[0]?.healthmonitor?.http_method, lb.pools[0]?.healthmonitor?.url_path, lb.pools[0]?.healthmonitor?.expected_codes],
    [3, 'GET', '/', '200'],
  );
  assert.equal(lb.listeners[0]?.tls_ciphers, OWASP_SUITE_B_CIPHERS);
  assert.deepEqual(lb.listeners[0]?.tls_versions, ['TLSv1.2', 'TLSv1.3']);
  assert.deepEqual(lb.listeners[0]?.alpn_protocols, ['h2', 'http/1.1', 'http/1.0']);
});

test('every error names its field path and all errors are reported together', () => {
  const model = fixtureB();
  listenerOf(model).protocol_port = 70000;
  poolOf(model).lb_algorithm = 'RANDOM';
  poolOf(model).members[1].address = '10.0.0.300';
  const errors = errorsOf(model);
  const paths = errors.map((e) => e.path);
  assert.ok(paths.includes('loadbalancer.listeners[0].protocol_port'));
  assert.ok(paths.includes('loadbalancer.pools[0].lb_algorithm'));
  assert.ok(paths.includes('loadbalancer.pools[0].members[1].address'));
  for (const e of errors) assert.ok(e.reason.length > 5);
});

test('unknown fields, wrong types and missing required fields are refused', () => {
  const m1 = fixtureB();
  listenerOf(m1).protocl = 'HTTP';
  assertRefused(m1, 'loadbalancer.listeners[0].protocl', 'not a known field');
  const m2 = fixtureB();
  poolOf(m2).members[0].weight = '13';
  assertRefused(m2, 'loadbalancer.pools[0].members[0].weight', 'integer');
  const m3 = fixtureB();
  delete poolOf(m3).healthmonitor.max_retries;
  assertRefused(m3, 'loadbalancer.pools[0].healthmonitor.max_retries', 'required');
  assertRefused({}, 'loadbalancer', 'object');
});

test('ids are restricted to [A-Za-z0-9_-] and may not mention prometheus', () => {
  for (const bad of ['a:b', 'a b', '../x', 'x\ny', '', 'my-prometheus-pool']) {
    const model = fixtureB();
    poolOf(model).members[0].id = bad;
    assertRefused(model, 'loadbalancer.pools[0].members[0].id');
  }
});

test('listener / pool protocol compatibility and references', () => {
  const m1 = fixtureB();
  poolOf(m1).protocol = 'TCP';
  assertRefused(m1, 'loadbalancer.listeners[0].default_pool_id', 'cannot serve');
  const m2 = fixtureB();
  listenerOf(m2).default_pool_id = 'missing_pool';
  assertRefused(m2, 'loadbalancer.listeners[0].default_pool_id', 'does not name');
  const m3 = fixtureB();
  m3.loadbalancer.listeners.push({ id: 'second', protocol: 'TCP', protocol_port: 80 });
  assertRefused(m3, 'loadbalancer.listeners[1].protocol_port', 'already used');
  const m4 = fixtureB();
  m4.loadbalancer.listeners.push({ id: 'udp80', protocol: 'UDP', protocol_port: 80 });
  assert.ok(validateModel(m4).ok, 'UDP and TCP may share a port number');
});

test('monitor types follow the pool protocol; HTTP-only fields only on HTTP monitors', () => {
  const m1 = udpFixture();
  poolOf(m1).healthmonitor.type = 'PING';
  assertRefused(m1, 'loadbalancer.pools[0].healthmonitor.type', 'UDP pools');
  const m2 = fixtureB();
  poolOf(m2).healthmonitor = { id: 'hm', type: 'TCP', delay: 5, timeout: 5, max_retries: 2, url_path: '/x' };
  assertRefused(m2, 'loadbalancer.pools[0].healthmonitor.url_path', 'only used by HTTP');
  const m3 = fixtureB();
  poolOf(m3).healthmonitor.domain_name = 'example.com';
  assertRefused(m3, 'loadbalancer.pools[0].healthmonitor.domain_name', 'http_version 1.1');
  const m4 = fixtureB();
  poolOf(m4).healthmonitor.max_retries = 11;
  assertRefused(m4, 'loadbalancer.pools[0].healthmonitor.max_retries', 'between 1 and 10');
});

test('session persistence rules', () => {
  const m1 = fixtureB();
  poolOf(m1).session_persistence = { type: 'APP_COOKIE' };
  assertRefused(m1, 'loadbalancer.pools[0].session_persistence.cookie_name', 'required');
  const m2 = fixtureB();
  poolOf(m2).session_persistence = { type: 'HTTP_COOKIE', cookie_name: 'X' };
  assertRefused(m2, 'loadbalancer.pools[0].session_persistence.cookie_name', 'APP_COOKIE');
  const m3 = udpFixture();
  poolOf(m3).session_persistence = { type: 'HTTP_COOKIE' };
  assertRefused(m3, 'loadbalancer.pools[0].session_persistence.type', 'SOURCE_IP');
  const m4 = fixtureB();
  poolOf(m4).session_persistence = { type: 'SOURCE_IP', persistence_timeout: 10 };
  assertRefused(m4, 'loadbalancer.pools[0].session_persistence', 'UDP and SCTP');
});

test('TLS options only where Octavia allows them', () => {
  const m1 = fixtureB();
  listenerOf(m1).tls_ciphers = 'AES128-SHA';
  assertRefused(m1, 'loadbalancer.listeners[0].tls_ciphers', 'TERMINATED_HTTPS');
  const m2 = fixtureB();
  listenerOf(m2).protocol = 'TERMINATED_HTTPS';
  listenerOf(m2).protocol_port = 443;
  listenerOf(m2).sni_containers = [tlsMaterial('sni')];
  assertRefused(m2, 'loadbalancer.listeners[0].default_tls_container', 'required');
  const m3 = fixtureB();
  listenerOf(m3).protocol = 'TERMINATED_HTTPS';
  listenerOf(m3).default_tls_container = tlsMaterial('d');
  listenerOf(m3).client_authentication = 'MANDATORY';
  assertRefused(m3, 'loadbalancer.listeners[0].client_ca_tls_container', 'required');
  const m4 = fixtureB();
  listenerOf(m4).tls_versions = ['TLSv1.4'];
  assertRefused(m4, 'loadbalancer.listeners[0].tls_versions[0]', 'one of');
  const m5 = fixtureB();
  listenerOf(m5).insert_headers = { 'X-SSL-Client-DN': 'true' };
  assertRefused(m5, 'loadbalancer.listeners[0].insert_headers.X-SSL-Client-DN', 'TERMINATED_HTTPS');
  const m6 = fixtureB();
  listenerOf(m6).insert_headers = { 'X-Evil': 'true' };
  assertRefused(m6, 'loadbalancer.listeners[0].insert_headers.X-Evil', 'not a supported header');
});

test('L7 rule checks of Octavia (validate.py) apply', () => {
  const cases: Array<[Json, string, string]> = [
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }, 'key', 'required'],
    [{ type: 'FILE_TYPE', compare_type: 'CONTAINS', value: 'jpg' }, 'compare_type', 'REGEX or EQUAL_TO'],
    [{ type: 'PATH', compare_type: 'REGEX', value: '(' }, 'value', 'regular expression'],
    [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: 'abc' }, 'value', 'decimal'],
    [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'yes' }, 'value', 'true'],
    [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1CN', value: 'x' }, 'key', 'distinguished'],
    [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a;b' }, 'value', 'cookie value'],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'a b' }, 'value', 'without spaces'],
  ];
  for (const [rule, field, reason] of cases) {
    const model = fixtureB();
    listenerOf(model).l7policies = [{ id: 'p1', action: 'REJECT', rules: [{ id: 'r1', ...rule }] }];
    assertRefused(model, `loadbalancer.listeners[0].l7policies[0].rules[0].${field}`, reason);
  }
  const tooMany = fixtureB();
  listenerOf(tooMany).l7policies = [
    { id: 'p1', action: 'REJECT', rules: Array.from({ length: 51 }, (_, i) => ({ id: `r${i}`, type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' })) },
  ];
  assertRefused(tooMany, 'loadbalancer.listeners[0].l7policies[0].rules', 'at most 50');
});

test('L7 policies are sorted by position', () => {
  const model = fixtureB();
  const rule = (id: string) => ({ id, type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' });
  listenerOf(model).l7policies = [
    { id: 'p2', position: 2, action: 'REJECT', rules: [rule('r2')] },
    { id: 'p1', position: 1, action: 'REJECT', rules: [rule('r1')] },
  ];
  const result = validateModel(model);
  assert.ok(result.ok);
  assert.deepEqual(result.model.loadbalancer.listeners[0]?.l7policies.map((p) => p.id), ['p1', 'p2']);
});

test('expected codes expand in ascending order', () => {
  assert.deepEqual(expandExpectedCodes('200-204'), [200, 201, 202, 203, 204]);
  assert.deepEqual(expandExpectedCodes('202, 200,201'), [200, 201, 202]);
});

test('an IPv6 zone in an address or a CIDR is a field error, never an exception', () => {
  const zoned = fixtureB() as Json;
  const lb = zoned.loadbalancer as { vip: { ip_address: string; subnet: { cidr: string } } };
  lb.vip.ip_address = 'fe80::2%lo';
  lb.vip.subnet.cidr = 'fe80::%lo/64';
  const errors = errorsOf(zoned);
  assert.ok(errors.some((error) => error.path === 'loadbalancer.vip.ip_address'), JSON.stringify(errors));
  assert.ok(errors.some((error) => error.path === 'loadbalancer.vip.subnet.cidr'), JSON.stringify(errors));
  const member = fixtureB();
  poolOf(member).members[0].address = 'fe80::5%eth0';
  assertRefused(member, 'loadbalancer.pools[0].members[0].address');
});
