import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { baseRenderContext, type RenderContext } from '../../agent/render/context.ts';
import { renderHaproxy } from '../../agent/render/haproxy.ts';
import { renderLvs } from '../../agent/render/lvs.ts';
import { secretFileName } from '../../agent/model/rules.ts';
import { validateModel } from '../../agent/model/validation.ts';
import type { LoadBalancerModel } from '../../agent/model/types.ts';
import { renderVrrp } from '../../agent/render/vrrp.ts';
import { haproxyCheck, keepalivedCheck, tempDir, testPki } from '../helpers/render-checks.ts';
import { fixtureB, listenerOf, member, monitor, poolOf, udpFixture, type Json } from '../helpers/model-fixtures.ts';

/**
 * The spec's scenarios (config-rendering.md §5) rendered by this agent and by Octavia's own Jinja
 * renderers from Debian's python3-octavia (run through /usr/bin/python3 at test time), compared
 * after the normalisations listed in docs/rendering.md ("Differences from python3-octavia 11"),
 * and every rendering checked by haproxy -c or keepalived --config-test.
 */

const PYTHON = '/usr/bin/python3';
const DRIVER = new URL('./octavia_render.py', import.meta.url).pathname;
const work = tempDir('render-compare-');
after(() => work.remove());

let scenarioCount = 0;
function contextFor(overrides: Partial<RenderContext> = {}): RenderContext {
  const base = join(work.path, `s${scenarioCount++}`);
  // Octavia 11 always writes server-state-file / load-server-state-from-file (flag of 2.x).
  return baseRenderContext({
    basePath: base,
    baseCertDir: join(base, 'certs'),
    thisAmphoraId: 'sample_amphora_id_1',
    ...overrides,
    features: { serverStateFile: true, httpReuse: false, poolAlpn: false, prometheus: false, insecureFork: false, ...overrides.features },
  });
}

function valid(model: Json): LoadBalancerModel {
  const result = validateModel(model);
  assert.ok(result.ok, `scenario model invalid: ${JSON.stringify(!result.ok && result.errors)}`);
  return result.model;
}

function octavia(request: Json): string {
  return execFileSync(PYTHON, [DRIVER], { input: JSON.stringify(request), timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

function fileMap(model: LoadBalancerModel, ctx: RenderContext): Json {
  const lb = model.loadbalancer;
  const dir = join(ctx.baseCertDir, lb.id);
  const files: Json = { pools: {} };
  for (const l of lb.listeners) {
    if (l.client_ca_tls_container) files.client_ca = secretFileName(l.client_ca_tls_container);
    if (l.client_crl_container) files.client_crl = secretFileName(l.client_crl_container);
  }
  for (const p of lb.pools) {
    const entry: Json = {};
    if (p.tls_container) entry.client_cert = join(dir, secretFileName(p.tls_container));
    if (p.ca_tls_container) entry.ca_cert = join(dir, secretFileName(p.ca_tls_container));
    if (p.crl_container) entry.crl = join(dir, secretFileName(p.crl_container));
    files.pools[p.id] = entry;
  }
  return files;
}

// ---- Normalisations: each one is a documented difference (docs/rendering.md). ----------------

/** D1: Octavia HTML-escapes every value; this agent never does. */
function unescapeEntities(text: string): string {
  return text.replaceAll('&#34;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/** D2-D6: haproxy.cfg forms that changed between Octavia 11 and the spec's upstream HEAD. */
function normalizeOctaviaHaproxy(text: string): string {
  return unescapeEntities(text)
    .replace(/^( {4}option httpchk \S+ \S+ HTTP\/1\.1)\\r\\n\nHost:\\ (\S+)$/gm, '$1\n    http-check send hdr Host $2') // D2
    .replace(/^( {4}option httpchk .*)\\r\\n$/gm, '$1') // D2
    .replace(/^( {4}stick-table type) ip /gm, '$1 ipv6 ') // D3
    .replace(/^ {4}option ssl-hello-chk\n/gm, '') // D4
    .replace(/^( {8}acl \S+ path_end) -m str /gm, '$1  ') // D5
    .replace(/^( {4}http-check expect rstatus )(\S+)$/gm, (_m, head: string, codes: string) =>
      head + codes.split('|').map(Number).sort((a, b) => a - b).join('|'),
    ); // D6
}

/** D7: features Octavia 11 does not have (HSTS header, check-alpn) are removed from our text. */
function withoutNewFeatures(text: string): string {
  return text.replace(/^ {4}http-response set-header Strict-Transport-Security .*\n/gm, '').replace(/ check-alpn \S+/g, '');
}

/** D8: IPv6 LVS blocks default their granularity to 128 (upstream HEAD); Octavia 11 prints the IPv4 mask. */
function normalizeOctaviaLvs(text: string): string {
  return text.replace(/(virtual_server group ipv6-group \{[\s\S]*?persistence_granularity )255\.255\.255\.255/g, '$1128');
}

/** D9: Octavia 11 still prints `state MASTER|BACKUP`; upstream HEAD (and this agent) start both as BACKUP via nopreempt. */
function normalizeOctaviaVrrp(text: string): string {
  return text.replace(/^ {4}state \S+\n/m, '');
}

/** D10: the ping wrapper follows base_path here; Octavia 11 hard-codes /var/lib/octavia. */
function pingWrapperAt(basePath: string): (text: string) => string {
  return (text) => text.replaceAll('external-check command /var/lib/octavia/ping-wrapper.sh', `external-check command ${basePath}/ping-wrapper.sh`);
}

async function compareHaproxy(
  name: string,
  model: Json,
  overrides: Partial<RenderContext> = {},
  scenarioDifference: (octaviaText: string) => string = (t) => t,
): Promise<string> {
  const m = valid(model);
  const ctx = contextFor(overrides);
  const ours = renderHaproxy(m, ctx).text;
  const theirs = octavia({ kind: 'haproxy', model: m, ctx, features: ctx.features, files: fileMap(m, ctx) });
  const expected = scenarioDifference(pingWrapperAt(ctx.basePath)(normalizeOctaviaHaproxy(theirs)));
  assert.equal(withoutNewFeatures(ours), expected, `${name}: differs from Octavia's rendering`);
  const check = await haproxyCheck(ours, m, ctx);
  assert.ok(check.ok, `${name}: haproxy -c failed:\n${check.output}\n${ours}`);
  return ours;
}

async function compareLvs(name: string, model: Json, listenerId = 'sample_listener_id_1'): Promise<string> {
  const m = valid(model);
  const ctx = contextFor();
  const ours = renderLvs(m, listenerId, ctx);
  const theirs = octavia({ kind: 'lvs', model: m, ctx, listener_id: listenerId });
  assert.equal(ours, normalizeOctaviaLvs(unescapeEntities(theirs)), `${name}: differs from Octavia's rendering`);
  const check = await keepalivedCheck(ours, work.path, `lvs-${scenarioCount}.conf`);
  assert.ok(check.ok, `${name}: keepalived --config-test failed:\n${check.output}\n${ours}`);
  return ours;
}

async function compareVrrp(name: string, model: Json, amphoraId: string): Promise<string> {
  const m = valid(model);
  const ctx = contextFor();
  const ours = renderVrrp(m, amphoraId, ctx);
  const theirs = octavia({ kind: 'vrrp', model: m, ctx, amphora_id: amphoraId });
  assert.equal(ours, normalizeOctaviaVrrp(unescapeEntities(theirs)), `${name}: differs from Octavia's rendering`);
  const check = await keepalivedCheck(ours, work.path, `vrrp-${scenarioCount}.conf`);
  assert.ok(check.ok, `${name}: keepalived --config-test failed:\n${check.output}\n${ours}`);
  return ours;
}

/** Real certificate material, so that haproxy -c loads the crt-list. */
function material(): Json {
  const pki = testPki();
  return { certificate: pki.certificate, private_key: pki.privateKey, intermediates: [] };
}

// ---- HAProxy scenarios ------------------------------------------------------------------------

test('S1 baseline HTTP, and without connection logging', async () => {
  const text = await compareHaproxy('S1', fixtureB());
  assert.match(text, /^backend sample_pool_id_1:sample_listener_id_1$/m);
  await compareHaproxy('S1 no log', fixtureB(), { connectionLogging: false });
});

test('S2 modern flags: http-reuse', async () => {
  const text = await compareHaproxy('S2', fixtureB(), { features: { serverStateFile: true, httpReuse: true, poolAlpn: true, prometheus: true, insecureFork: true } });
  assert.match(text, /mode http\n {4}http-reuse safe\n {4}balance roundrobin/);
});

test('S3 TERMINATED_HTTPS with SNI, client authentication, CRL, ciphers, versions, ALPN, HSTS', async () => {
  const pki = testPki();
  const model = fixtureB();
  Object.assign(listenerOf(model), {
    protocol: 'TERMINATED_HTTPS',
    protocol_port: 443,
    default_tls_container: material(),
    sni_containers: [],
    client_authentication: 'MANDATORY',
    client_ca_tls_container: pki.caPem,
    client_crl_container: pki.crlPem,
    hsts_max_age: 10000000,
    hsts_include_subdomains: true,
    hsts_preload: true,
    insert_headers: Object.fromEntries(
      ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto', 'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer', 'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After'].map((h) => [h, 'true']),
    ),
  });
  const text = await compareHaproxy('S3', model);
  assert.match(text, /bind 10\.0\.0\.2:443 ssl crt-list \S+sample_listener_id_1\.pem ca-file \S+ verify required crl-file \S+ ciphers TLS_AES_128\S+ no-sslv3 no-tlsv10 no-tlsv11 alpn h2,http\/1\.1,http\/1\.0$/m);
  assert.match(text, /Strict-Transport-Security "max-age=10000000; includeSubDomains; preload;"/);

  const optional = fixtureB();
  Object.assign(listenerOf(optional), {
    protocol: 'TERMINATED_HTTPS',
    protocol_port: 443,
    default_tls_container: material(),
    client_authentication: 'OPTIONAL',
    client_ca_tls_container: pki.caPem,
    tls_ciphers: null,
    alpn_protocols: null,
  });
  const text2 = await compareHaproxy('S3 optional, no ciphers, no ALPN', optional);
  assert.match(text2, /verify optional {3}no-sslv3 no-tlsv10 no-tlsv11$/m);
});

test('S4 HTTPS pass-through with HTTPS and TLS-HELLO monitors', async () => {
  for (const type of ['HTTPS', 'TLS-HELLO']) {
    const model = fixtureB();
    Object.assign(listenerOf(model), { protocol: 'HTTPS', protocol_port: 443 });
    Object.assign(poolOf(model), { protocol: 'HTTPS' });
    poolOf(model).healthmonitor = type === 'HTTPS' ? monitor({ type }) : { id: 'hm', type, delay: 30, timeout: 31, max_retries: 2 };
    const text = await compareHaproxy(`S4 ${type}`, model);
    assert.match(text, /mode tcp/);
    assert.doesNotMatch(text, /ssl-hello-chk/);
  }
});

test('S5 PING monitor with insecure-fork', async () => {
  const model = fixtureB();
  poolOf(model).healthmonitor = { id: 'hm', type: 'PING', delay: 30, timeout: 31, max_retries: 2 };
  const text = await compareHaproxy('S5', model, { features: { serverStateFile: true, httpReuse: false, poolAlpn: false, prometheus: false, insecureFork: true } });
  assert.match(text, /maxconn 50000\n {4}external-check\n {4}insecure-fork-wanted\n/);
});

test('S6 persistence types and ACTIVE_STANDBY peers', async () => {
  const sourceIp = fixtureB();
  poolOf(sourceIp).session_persistence = { type: 'SOURCE_IP' };
  sourceIp.loadbalancer.topology = 'ACTIVE_STANDBY';
  sourceIp.loadbalancer.amphorae.push({ id: 'sample_amphora_id_2', status: 'ALLOCATED', role: 'BACKUP', vrrp_ip: '10.1.1.2', vrrp_interface: 'eth1', vrrp_id: 1, vrrp_priority: 90 });
  sourceIp.loadbalancer.amphorae.push({ id: 'sample_amphora_id_3', status: 'DELETED', vrrp_ip: '10.1.1.3' });
  const text = await compareHaproxy('S6 SOURCE_IP peers', sourceIp);
  assert.match(text, /peers sample_loadbalancer_id_1_peers\n {4}peer R8eFgVkYabiZ61YYjPr_bR4oG-U 10\.1\.1\.1:1025\n {4}peer 3LE-AY8erbucNjkr5D0pWUrY8F8 10\.1\.1\.2:1025\n/);
  assert.match(text, /stick-table type ipv6 size 10k peers sample_loadbalancer_id_1_peers/);

  const appCookie = fixtureB();
  poolOf(appCookie).session_persistence = { type: 'APP_COOKIE', cookie_name: 'JSESSIONID' };
  await compareHaproxy('S6 APP_COOKIE', appCookie);
  const none = fixtureB();
  poolOf(none).session_persistence = null;
  await compareHaproxy('S6 none', none);
});

test('S7 member options', async () => {
  const model = fixtureB();
  poolOf(model).members = [
    member('sample_member_id_1', '10.0.0.99', { monitor_address: '192.168.1.1', monitor_port: 9000 }),
    member('sample_member_id_2', '10.0.0.98', { monitor_address: '192.168.1.1', monitor_port: 9000, backup: true }),
    member('sample_member_id_3', '10.0.0.97', { admin_state_up: false, weight: 0 }),
  ];
  await compareHaproxy('S7', model);
  const noMonitor = fixtureB();
  poolOf(noMonitor).healthmonitor.admin_state_up = false;
  const text = await compareHaproxy('S7 monitor disabled', noMonitor);
  assert.doesNotMatch(text, / check /);
});

test('S8 connection limits and timeouts', async () => {
  const model = fixtureB();
  Object.assign(listenerOf(model), { protocol: 'TCP', connection_limit: 2014, timeout_member_connect: 1, timeout_client_data: 2, timeout_member_data: 3, timeout_tcp_inspect: 7000 });
  poolOf(model).session_persistence = null;
  const text = await compareHaproxy('S8', model);
  assert.match(text, /fullconn 2014/);
  const many = fixtureB();
  many.loadbalancer.listeners.push({ id: 'l2', protocol: 'TCP', protocol_port: 81, connection_limit: 1000 });
  many.loadbalancer.listeners.push({ id: 'l3', protocol: 'TCP', protocol_port: 82, connection_limit: 300, admin_state_up: false });
  listenerOf(many).connection_limit = 0;
  // D11: Octavia 11 also counts the disabled listener (51300); upstream HEAD and this agent do not.
  const text2 = await compareHaproxy('S8 sum', many, {}, (t) => t.replace('    maxconn 51300\n', '    maxconn 51000\n'));
  assert.match(text2, /^ {4}maxconn 51000$/m);
});

test('S9 L7 policies and rules, including SSL rule types', async () => {
  const model = fixtureB();
  model.loadbalancer.pools.push({
    id: 'sample_pool_id_2',
    protocol: 'HTTP',
    lb_algorithm: 'ROUND_ROBIN',
    session_persistence: { type: 'HTTP_COOKIE' },
    healthmonitor: monitor({ id: 'sample_monitor_id_2', url_path: '/healthmon.html' }),
    members: [member('sample_member_id_3', '10.0.0.97')],
  });
  const r2 = { id: 'sample_l7rule_id_2', type: 'HEADER', compare_type: 'CONTAINS', key: 'Some-header', value: 'This\\string\\\\with_stuff', invert: true };
  const r3 = { id: 'sample_l7rule_id_3', type: 'COOKIE', compare_type: 'REGEX', key: 'some-cookie', value: 'this.*|that' };
  listenerOf(model).l7policies = [
    { id: 'p1', position: 1, action: 'REDIRECT_TO_POOL', redirect_pool_id: 'sample_pool_id_2', rules: [{ id: 'sample_l7rule_id_1', type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }] },
    { id: 'p2', position: 2, action: 'REDIRECT_TO_URL', redirect_url: 'http://www.example.com', redirect_http_code: 302, rules: [r2, r3] },
    {
      id: 'p3', position: 3, action: 'REJECT',
      rules: [
        { id: 'sample_l7rule_id_4', type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' },
        { id: 'sample_l7rule_id_5', type: 'HOST_NAME', compare_type: 'ENDS_WITH', value: '.example.com' },
      ],
    },
    { id: 'p4', position: 4, action: 'REJECT', rules: [] },
    { id: 'p5', position: 5, action: 'REJECT', admin_state_up: false, rules: [{ id: 'r5', type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' }] },
    { id: 'p6', position: 6, action: 'REJECT', rules: [{ id: 'r6', type: 'PATH', compare_type: 'EQUAL_TO', value: '/y', admin_state_up: false }] },
    { id: 'p7', position: 7, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://example.com', rules: [r2, r3] },
  ];
  const text = await compareHaproxy('S9', model);
  assert.match(text, /acl sample_l7rule_id_4 path_end {2}jpg/);
  assert.match(text, /redirect code 302 prefix https:\/\/example\.com if !sample_l7rule_id_2 sample_l7rule_id_3/);
  assert.doesNotMatch(text, /\br5\b|\br6\b/);

  const ssl = fixtureB();
  Object.assign(listenerOf(ssl), { protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container: material(), client_authentication: 'OPTIONAL', client_ca_tls_container: testPki().caPem });
  listenerOf(ssl).l7policies = [
    {
      id: 'ps', action: 'REDIRECT_TO_URL', redirect_url: 'http://www.ssl-type-l7rule-test.com',
      rules: [
        { id: 'sample_l7rule_id_7', type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'tRuE' },
        { id: 'sample_l7rule_id_8', type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '1', invert: true },
        { id: 'sample_l7rule_id_9', type: 'SSL_DN_FIELD', compare_type: 'REGEX', key: 'STREET', value: '^STREET.*NO\\.$', invert: true },
        { id: 'sample_l7rule_id_11', type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' },
      ],
    },
  ];
  const text2 = await compareHaproxy('S9 ssl rules', ssl);
  assert.match(text2, /acl sample_l7rule_id_9 ssl_c_s_dn\(STREET\) -m reg \^STREET\.\*NO\\\\\.\$/);
});

test('S10/S11 header insertion and PROXY / PROXYV2 pools', async () => {
  const xff = fixtureB();
  listenerOf(xff).insert_headers = { 'X-Forwarded-For': 'True', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' };
  await compareHaproxy('S10', xff);
  for (const protocol of ['PROXY', 'PROXYV2']) {
    const model = fixtureB();
    poolOf(model).protocol = protocol;
    poolOf(model).healthmonitor = { id: 'hm', type: 'TCP', delay: 30, timeout: 31, max_retries: 2 };
    listenerOf(model).insert_headers = { 'X-Forwarded-For': 'true' };
    const text = await compareHaproxy(`S11 ${protocol}`, model, { features: { serverStateFile: true, httpReuse: true, poolAlpn: false, prometheus: false, insecureFork: false } });
    assert.match(text, protocol === 'PROXY' ? / send-proxy$/m : / send-proxy-v2$/m);
    assert.doesNotMatch(text, /option forwardfor/);
  }
});

test('S12 re-encryption to members with client certificate, CA and CRL', async () => {
  const pki = testPki();
  const model = fixtureB();
  Object.assign(poolOf(model), { tls_enabled: true, tls_container: material(), ca_tls_container: pki.caPem, crl_container: pki.crlPem });
  const text = await compareHaproxy('S12', model, { features: { serverStateFile: true, httpReuse: false, poolAlpn: true, prometheus: false, insecureFork: false } });
  assert.match(text, / check check-alpn h2,http\/1\.1,http\/1\.0 inter 30s/);
  assert.match(text, / ssl crt \S+ ca-file \S+ crl-file \S+ verify required sni ssl_fc_sni ciphers \S+ no-sslv3 no-tlsv10 no-tlsv11 alpn h2,http\/1\.1,http\/1\.0$/m);
  const noCa = fixtureB();
  Object.assign(poolOf(noCa), { tls_enabled: true, tls_ciphers: null, alpn_protocols: null });
  await compareHaproxy('S12 no CA', noCa);
});

test('S13 PROMETHEUS listener and additional VIPs', async () => {
  const model = fixtureB();
  model.loadbalancer.listeners.push({ id: 'sample_listener_id_2', protocol: 'PROMETHEUS', protocol_port: 9100 });
  model.loadbalancer.additional_vips = [{ ip_address: '10.0.1.2' }, { ip_address: '2001:db8::2' }];
  const text = await compareHaproxy('S13', model, { features: { serverStateFile: true, httpReuse: false, poolAlpn: false, prometheus: true, insecureFork: false } });
  assert.match(text, /bind 10\.0\.0\.2:80\n {4}bind 10\.0\.1\.2:80\n {4}bind 2001:db8::2:80\n/);
  assert.match(text, /default_backend prometheus-exporter-internal/);
});

test('S14 escaping: backslashes, spaces and entities', async () => {
  const model = fixtureB();
  listenerOf(model).l7policies = [
    { id: 'p1', action: 'REJECT', rules: [{ id: 'r1', type: 'PATH', compare_type: 'EQUAL_TO', value: 'a&b<c>d\\e' }] },
    { id: 'p2', action: 'REDIRECT_TO_URL', redirect_url: 'https://e.com/?a=1&b=2', rules: [{ id: 'r2', type: 'PATH', compare_type: 'STARTS_WITH', value: '/old' }] },
  ];
  poolOf(model).healthmonitor = monitor({ http_method: 'HEAD', url_path: '/h?a=1&b=2', http_version: 1.1 });
  const text = await compareHaproxy('S14', model);
  assert.match(text, /acl r1 path -m str a&b<c>d\\\\e$/m);
  assert.match(text, /location https:\/\/e\.com\/\?a=1&b=2 if r2$/m);
});

test('maxconn is capped to the open-file limit with a warning, and such a config still passes haproxy -c', async () => {
  const m = valid(fixtureB());
  const ctx = contextFor({ maxOpenFiles: 20000 });
  const result = renderHaproxy(m, ctx);
  const limits = [...result.text.matchAll(/(?:maxconn|fullconn) (\d+)/g)].map((x) => Number(x[1]));
  assert.ok(limits.length >= 3 && limits.every((n) => n < 10000), `capped values: ${limits}`);
  assert.ok(result.warnings.some((w) => /open-file limit of 20000/.test(w)));
  assert.ok((await haproxyCheck(result.text, m, ctx)).ok);
});

// ---- keepalived scenarios -------------------------------------------------------------------

test('S15 LVS: UDP with persistence and UDP-CONNECT, dual stack, disabled member, no pool, disabled listener', async () => {
  const text = await compareLvs('S15 UDP', udpFixture());
  assert.match(text, /misc_path ".*lvs\/check\/udp_check\.sh 10\.0\.0\.99 82"/);

  const dual = udpFixture();
  dual.loadbalancer.additional_vips = [{ ip_address: '10.0.1.2' }, { ip_address: '2001:db8::2' }];
  poolOf(dual).lb_algorithm = 'LEAST_CONNECTIONS';
  poolOf(dual).session_persistence = { type: 'SOURCE_IP' };
  poolOf(dual).members = [member('m1', '10.0.0.99'), member('m2', '10.0.0.98', { admin_state_up: false }), member('m3', '2001:db8::99')];
  const dualText = await compareLvs('S15 dual stack', dual);
  assert.match(dualText, /persistence_granularity 128/);

  const noPool = udpFixture();
  listenerOf(noPool).default_pool_id = null;
  await compareLvs('S15 no pool', noPool);
  const disabled = udpFixture();
  listenerOf(disabled).admin_state_up = false;
  await compareLvs('S15 disabled listener', disabled);
  const poolDisabled = udpFixture();
  poolOf(poolDisabled).admin_state_up = false;
  await compareLvs('S15 disabled pool', poolDisabled);
  const empty = udpFixture();
  poolOf(empty).members = [];
  await compareLvs('S15 pool without members', empty);
});

test('S15 LVS: SCTP, HTTP and TCP checkers', async () => {
  const sctp = udpFixture();
  listenerOf(sctp).protocol = 'SCTP';
  poolOf(sctp).protocol = 'SCTP';
  poolOf(sctp).healthmonitor = { id: 'hm', type: 'SCTP', delay: 30, timeout: 31, max_retries: 2 };
  poolOf(sctp).members[0].monitor_address = '192.168.1.1';
  poolOf(sctp).members[0].monitor_port = 9000;
  const text = await compareLvs('S15 SCTP', sctp);
  assert.match(text, /misc_path "amphora-health-checker sctp -t 31 192\.168\.1\.1 9000"\n {12}misc_timeout 32/);
  const http = udpFixture();
  poolOf(http).healthmonitor = { id: 'hm', type: 'HTTP', delay: 30, timeout: 31, max_retries: 2, url_path: '/index.html', expected_codes: '200-201' };
  const httpText = await compareLvs('S15 HTTP', http);
  assert.match(httpText, /status_code 200\n {12}\}\n {12}url \{\n {14}path \/index\.html\n {14}status_code 201/);
  const tcp = udpFixture();
  poolOf(tcp).healthmonitor = { id: 'hm', type: 'TCP', delay: 30, timeout: 31, max_retries: 2 };
  listenerOf(tcp).connection_limit = -1;
  await compareLvs('S15 TCP', tcp);
});

function vrrpModel(): Json {
  const model = fixtureB();
  const lb = model.loadbalancer;
  lb.topology = 'ACTIVE_STANDBY';
  lb.vip = { ip_address: '203.0.113.10', subnet: { cidr: '203.0.113.0/24', gateway_ip: '203.0.113.1', host_routes: [{ destination: '198.51.100.0/24', nexthop: '203.0.113.254' }] } };
  lb.additional_vips = [
    { ip_address: '2001:db8::10', subnet: { cidr: '2001:db8:0::/64', gateway_ip: null, host_routes: [] } },
    { ip_address: '192.0.2.20', subnet: { cidr: '192.0.2.0/24', gateway_ip: '192.0.2.1', host_routes: [] } },
  ];
  lb.amphorae = [
    { id: 'amp1', status: 'ALLOCATED', role: 'MASTER', vrrp_ip: '10.0.0.1', vrrp_interface: 'eth1', vrrp_id: 1, vrrp_priority: 100 },
    { id: 'amp2', status: 'ALLOCATED', role: 'BACKUP', vrrp_ip: '10.0.0.2', vrrp_interface: 'eth1', vrrp_id: 1, vrrp_priority: 90 },
    { id: 'amp3', status: 'DELETED', role: 'BACKUP', vrrp_ip: '10.0.0.3', vrrp_interface: 'eth1', vrrp_id: 1, vrrp_priority: 90 },
  ];
  lb.vrrp_group = { vrrp_group_name: 'sampleloadbalancerid1', vrrp_auth_type: 'PASS', vrrp_auth_pass: 'abc1234', advert_int: 1 };
  return model;
}

test('S15 VRRP: MASTER and BACKUP of a dual-stack ACTIVE_STANDBY load balancer', async () => {
  const master = await compareVrrp('VRRP master', vrrpModel(), 'amp1');
  assert.match(master, /priority 100/);
  assert.ok(master.endsWith('}') && !master.endsWith('\n'));
  const backup = await compareVrrp('VRRP backup', vrrpModel(), 'amp2');
  assert.match(backup, /unicast_src_ip 10\.0\.0\.2\n {4}unicast_peer \{\n {8}10\.0\.0\.1\n {4}\}/);
  assert.match(backup, /virtual_ipaddress_excluded \{\n {8}2001:db8::10\n/);
  assert.match(backup, /2001:db8::\/64 dev eth1 src 2001:db8::10 scope link table 1/);
});
