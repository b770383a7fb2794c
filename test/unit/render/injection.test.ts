import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { baseRenderContext } from '../../../agent/render/context.ts';
import { aclLine, renderHaproxy } from '../../../agent/render/haproxy.ts';
import { renderLvs } from '../../../agent/render/lvs.ts';
import { OWASP_SUITE_B_CIPHERS, type LoadBalancerModel } from '../../../agent/model/types.ts';
import { validateModel } from '../../../agent/model/validation.ts';
import { haproxyPeerName as peerName } from '../../../agent/haproxy/peer-name.ts';
import { haproxyWord, RenderError, templatePath } from '../../../agent/render/template-engine.ts';
import { fixtureB, listenerOf, poolOf, tlsMaterial, udpFixture, type Json } from '../../helpers/model-fixtures.ts';

function refusedAt(model: Json, path: string): string {
  const result = validateModel(model);
  assert.equal(result.ok, false, `expected refusal at ${path}`);
  const hit = !result.ok && result.errors.find((e) => e.path === path);
  assert.ok(hit, `no error at ${path}: ${JSON.stringify(!result.ok && result.errors)}`);
  return hit.reason;
}

function terminated(): Json {
  const model = fixtureB();
  Object.assign(listenerOf(model), { protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container: tlsMaterial('d') });
  return model;
}

test('tls_ciphers: injection attempts are refused, valid strings accepted (S14)', () => {
  for (const bad of ['ECDHE-RSA-AES128-GCM-SHA256\ncheck', 'AES128 verify none', 'X crt /etc/shadow', 'X #', 'foo\n', 'AES128\r\ncheck', 'AES128\tcheck', '']) {
    const model = terminated();
    listenerOf(model).tls_ciphers = bad;
    assert.match(refusedAt(model, 'loadbalancer.listeners[0].tls_ciphers'), /invalid characters/);
    const pool = fixtureB();
    Object.assign(poolOf(pool), { tls_enabled: true, tls_ciphers: bad });
    refusedAt(pool, 'loadbalancer.pools[0].tls_ciphers');
  }
  for (const good of ['ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA', '!aNULL:!MD5:@STRENGTH', 'TLS_AES_256_GCM_SHA384']) {
    const model = terminated();
    listenerOf(model).tls_ciphers = good;
    assert.ok(validateModel(model).ok, good);
  }
});

test('tls_ciphers: the operator prohibit list names the offending ciphers', () => {
  const model = terminated();
  listenerOf(model).tls_ciphers = 'AES128-SHA:DES-CBC3-SHA:RC4-MD5';
  const result = validateModel(model, { cipherProhibitList: 'RC4-MD5:DES-CBC3-SHA' });
  assert.ok(!result.ok);
  assert.match(result.errors[0]?.reason ?? '', /DES-CBC3-SHA, RC4-MD5/);
});

test('redirect URLs and prefixes: control characters, spaces, # and quotes are refused (S14)', () => {
  const bad = [
    'https://example.com/\ncheck',
    'https://example.com/path if check',
    'https://example.com/\tx',
    'https://example.com/\u0000',
    'https://example.com/\r\nx',
    'https://example.com/\u0085',
    'https://example.com/#frag',
    "https://example.com/'x",
    'ftp://example.com/',
    '/relative',
  ];
  for (const field of ['redirect_url', 'redirect_prefix'] as const) {
    for (const url of bad) {
      const model = fixtureB();
      listenerOf(model).l7policies = [
        { id: 'p1', action: field === 'redirect_url' ? 'REDIRECT_TO_URL' : 'REDIRECT_PREFIX', [field]: url, rules: [{ id: 'r1', type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' }] },
      ];
      refusedAt(model, `loadbalancer.listeners[0].l7policies[0].${field}`);
    }
  }
  const ok = fixtureB();
  listenerOf(ok).l7policies = [{ id: 'p1', action: 'REDIRECT_TO_URL', redirect_url: 'http://www.example.com', rules: [{ id: 'r1', type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' }] }];
  assert.ok(validateModel(ok).ok);
});

test('newlines and control characters are refused in every printed string field', () => {
  const cases: Array<[(m: Json) => void, string]> = [
    [(m) => (poolOf(m).members[0].address = '10.0.0.1\nbackend x'), 'loadbalancer.pools[0].members[0].address'],
    [(m) => (m.loadbalancer.project_id = '123\nglobal'), 'loadbalancer.project_id'],
    [(m) => (poolOf(m).healthmonitor.url_path = '/x\n    option y'), 'loadbalancer.pools[0].healthmonitor.url_path'],
    [(m) => (poolOf(m).healthmonitor.url_path = '/x#frag'), 'loadbalancer.pools[0].healthmonitor.url_path'],
    [(m) => (poolOf(m).healthmonitor.url_path = '/a b'), 'loadbalancer.pools[0].healthmonitor.url_path'],
    [(m) => (poolOf(m).session_persistence = { type: 'APP_COOKIE', cookie_name: 'a#b' }), 'loadbalancer.pools[0].session_persistence.cookie_name'],
    [(m) => (poolOf(m).session_persistence = { type: 'APP_COOKIE', cookie_name: 'a\nb' }), 'loadbalancer.pools[0].session_persistence.cookie_name'],
    [(m) => (listenerOf(m).insert_headers = { 'X-Forwarded-For': 'true\nx' }), 'loadbalancer.listeners[0].insert_headers.X-Forwarded-For'],
    [(m) => (m.loadbalancer.id = 'lb\nid'), 'loadbalancer.id'],
  ];
  for (const [mutate, path] of cases) {
    const model = fixtureB();
    mutate(model);
    refusedAt(model, path);
  }
});

test('L7 keys with # or quotes, and values with TAB or newline, are refused', () => {
  const rule = (r: Json) => {
    const model = fixtureB();
    listenerOf(model).l7policies = [{ id: 'p1', action: 'REJECT', rules: [{ id: 'r1', ...r }] }];
    return model;
  };
  refusedAt(rule({ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X#y', value: 'v' }), 'loadbalancer.listeners[0].l7policies[0].rules[0].key');
  refusedAt(rule({ type: 'COOKIE', compare_type: 'EQUAL_TO', key: "c'", value: 'v' }), 'loadbalancer.listeners[0].l7policies[0].rules[0].key');
  refusedAt(rule({ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X', value: '"a\tb"' }), 'loadbalancer.listeners[0].l7policies[0].rules[0].value');
  refusedAt(rule({ type: 'PATH', compare_type: 'REGEX', value: 'a\nb' }), 'loadbalancer.listeners[0].l7policies[0].rules[0].value');
});

test('L7 values stay one literal haproxy word: #, quotes, spaces and backslashes are escaped', () => {
  assert.equal(haproxyWord('string_with_none'), 'string_with_none');
  assert.equal(haproxyWord('string with spaces'), 'string\\ with\\ spaces');
  assert.equal(haproxyWord('string\\with\\backslashes'), 'string\\\\with\\\\backslashes');
  assert.equal(haproxyWord('string\\ with\\ all'), 'string\\\\\\ with\\\\\\ all');
  assert.equal(haproxyWord('a#b"c\'d'), 'a\\#b\\"c\\\'d');
  const line = aclLine({ id: 'r1', type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-T', value: '"a b#c"', invert: false, admin_state_up: true, provisioning_status: null });
  assert.equal(line, 'r1 req.hdr(X-T) -m str \\"a\\ b\\#c\\"');
  assert.throws(() => haproxyWord('a\nb'), RenderError);
});

function validModel(model: Json): LoadBalancerModel {
  const result = validateModel(model);
  assert.ok(result.ok);
  return result.model;
}

test('render guard: values that bypass validation never reach the file', () => {
  const model = validModel(fixtureB());
  (model.loadbalancer.pools[0]!.members[0] as { address: string }).address = '10.0.0.1\n    server evil 1.2.3.4:80';
  assert.throws(() => renderHaproxy(model, baseRenderContext()), RenderError);
  const lb2 = validModel(fixtureB());
  lb2.loadbalancer.project_id = '123\nglobal';
  assert.throws(() => renderHaproxy(lb2, baseRenderContext()), RenderError);
  const lvs = validModel(udpFixture());
  lvs.loadbalancer.pools[0]!.healthmonitor!.id = 'hm\n}';
  assert.throws(() => renderLvs(lvs, 'sample_listener_id_1', baseRenderContext()), RenderError);
});

test('render time: stored invalid ciphers fall back to the default with a warning; a tainted redirect URL refuses the render', () => {
  const model = validModel(terminated());
  model.loadbalancer.listeners[0]!.tls_ciphers = 'ECDHE-RSA-AES128-GCM-SHA256\n    crt /etc/shadow';
  const result = renderHaproxy(model, baseRenderContext());
  assert.match(result.text, new RegExp(`crt-list \\S+ {3}ciphers ${OWASP_SUITE_B_CIPHERS} no-sslv3`));
  assert.doesNotMatch(result.text, /shadow/);
  assert.ok(result.warnings.some((w) => /sample_listener_id_1 has invalid tls_ciphers/.test(w)));

  const pool = fixtureB();
  Object.assign(poolOf(pool), { tls_enabled: true, tls_versions: null, alpn_protocols: null });
  const poolModel = validModel(pool);
  poolModel.loadbalancer.pools[0]!.tls_ciphers = 'AES128-SHA verify none';
  const poolText = renderHaproxy(poolModel, baseRenderContext()).text;
  assert.match(poolText, new RegExp(`cookie sample_member_id_1 ssl verify none sni ssl_fc_sni ciphers ${OWASP_SUITE_B_CIPHERS}$`, 'm'));

  const redirect = fixtureB();
  listenerOf(redirect).l7policies = [{ id: 'p1', action: 'REDIRECT_TO_URL', redirect_url: 'https://example.com/', rules: [{ id: 'r1', type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' }] }];
  const redirectModel = validModel(redirect);
  redirectModel.loadbalancer.listeners[0]!.l7policies[0]!.redirect_url = 'https://example.com/\ncheck';
  assert.throws(() => renderHaproxy(redirectModel, baseRenderContext()), /redirect_url/);
});

test('peer names match the spec vectors', () => {
  assert.equal(peerName('sample_amphora_id_1'), 'R8eFgVkYabiZ61YYjPr_bR4oG-U');
  assert.equal(peerName('sample_amphora_id_2'), '3LE-AY8erbucNjkr5D0pWUrY8F8');
  assert.equal(peerName('amp-15'), 'xqM7NCQuX3rO0nveval4-xw2l7o');
  assert.equal(peerName('amp1'), 'BdMDzSWGoNCTBh2R50fQ7iACCJ8');
  assert.equal(peerName('6e4e1b1a-3c2f-4d8e-9b8a-2f1e7d6c5b4a'), 'VkgVb3tCgbJSdZMBdYIM9u7y8r0');
});

test('every interpolation in the templates goes through a quoting helper', () => {
  for (const dir of ['haproxy', 'keepalived']) {
    for (const file of readdirSync(templatePath(`${dir}/`))) {
      const source = readFileSync(templatePath(`${dir}/${file}`), 'utf8');
      for (const [tag] of source.matchAll(/\{\{[^}]*\}\}/g)) {
        const ok = /^\{\{(#|\/|>|else\b|(haproxy|haproxy-word|keepalived|keepalived-quoted|keepalived-line) )/.test(tag);
        assert.ok(ok, `${dir}/${file}: ${tag} interpolates without a helper`);
      }
    }
  }
});
