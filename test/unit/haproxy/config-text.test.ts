import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyVersionCompatibility,
  bindAddresses,
  HaproxyConfigParseError,
  parseHaproxyConfig,
  stripGroupDirectives,
} from '../../../agent/haproxy/config-text.ts';
import { parseHaproxyVersion } from '../../../agent/haproxy/version.ts';

/** Runs `expression` (Python) with `text` bound to the given string, via the reference's code. */
function reference(code: string, text: string): unknown {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { input: text }).toString());
}

const OLD_CONTROLLER_CONFIG = [
  '# Configuration for loadbalancer 123',
  'global',
  '    daemon',
  '    user nobody',
  '',
  '    group haproxy',
  '    stats socket /var/lib/octavia/123.sock mode 0666 level user',
  '',
  'defaults',
  '    retries 3',
  '',
  'frontend 5a6f5ab4-0a6c-4d9e-9ae4-4ab1b2b8a6a1',
  '    maxconn 4000',
  '    bind 203.0.113.2:80',
  '    mode http',
  '    default_backend pool1',
  '',
  'backend pool1',
  '    mode http',
  '    server m1 192.0.2.10:80',
  '',
].join('\n');

test('group directives of the global section are removed exactly as the reference removes them', () => {
  const expected = reference('import json,re,sys\nprint(json.dumps(re.sub(r"\\s+group\\s.+", "", sys.stdin.read())))', OLD_CONTROLLER_CONFIG);
  const stripped = stripGroupDirectives(OLD_CONTROLLER_CONFIG);
  assert.equal(stripped, expected);
  assert.doesNotMatch(stripped, /group/u);
});

test('a "group" word elsewhere (an escaped ACL value) is kept, unlike the reference', () => {
  const text = 'global\n    daemon\n\nfrontend f\n    mode http\n    acl a hdr(x) -m str my\\ group x\n';
  assert.equal(stripGroupDirectives(text), text);
  assert.equal(stripGroupDirectives('global\n\tgroup nogroup\n    daemon\n'), 'global\n    daemon\n');
});

test('external-check lines are dropped only for haproxy older than 1.6', () => {
  const text = 'global\n    external-check\n    daemon\n';
  assert.equal(applyVersionCompatibility(text, { major: 1, minor: 5 }), 'global\n    daemon\n');
  assert.equal(applyVersionCompatibility(text, { major: 2, minor: 6 }), text);
  assert.equal(applyVersionCompatibility(text, { major: 1, minor: 8 }), text);
});

test('haproxy -v output is read as the reference reads it', () => {
  assert.deepEqual(parseHaproxyVersion('HAProxy version 2.4.22-0ubuntu0.22.04.3 2023/12/04'), { major: 2, minor: 4 });
  assert.deepEqual(parseHaproxyVersion('HA-Proxy version 1.5-dev19 2013/06/17'), { major: 1, minor: 5 });
  assert.deepEqual(parseHaproxyVersion('HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/\nStatus: x'), { major: 2, minor: 6 });
  assert.throws(() => parseHaproxyVersion('no version here'));
  assert.throws(() => parseHaproxyVersion('HAProxy version x.y.z'));
});

test('frontends, modes and TERMINATED_HTTPS match the reference parser', () => {
  const config = [
    'global',
    '    stats socket /tmp/lb.sock mode 0666 level user',
    '',
    'frontend http-listener',
    '    bind 203.0.113.2:80',
    '    mode http',
    '',
    'backend pool-a',
    '    mode http',
    '',
    'frontend tls-listener',
    '    bind 203.0.113.2:443 ssl crt-list /var/lib/octavia/certs/lb/tls-listener.pem',
    '    mode http',
    '',
    'frontend tcp-listener',
    '    bind 203.0.113.2:22',
    '    mode tcp',
    '',
  ].join('\n');
  const directory = mkdtempSync(join(tmpdir(), 'parse-ref-'));
  try {
    mkdirSync(join(directory, 'lb'));
    writeFileSync(join(directory, 'lb', 'haproxy.cfg'), config);
    const script = [
      'import json,sys',
      'from oslo_config import cfg',
      'from octavia.common import config',
      'from octavia.amphorae.backends.agent.api_server import util',
      `cfg.CONF.set_override("base_path", ${JSON.stringify(directory)}, group="haproxy_amphora")`,
      'sock, listeners = util.parse_haproxy_file("lb")',
      'print(json.dumps({"sock": sock, "modes": {k: v["mode"] for k, v in listeners.items()}}))',
    ].join('\n');
    const expected = reference(script, '') as { sock: string; modes: Record<string, string> };
    const parsed = parseHaproxyConfig(config);
    assert.equal(parsed.statsSocket, expected.sock);
    assert.deepEqual(Object.fromEntries([...parsed.frontends].map(([name, info]) => [name, info.mode])), expected.modes);
    assert.equal(expected.modes['tls-listener'], 'TERMINATED_HTTPS');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('parse errors: no stats socket, frontend without mode', () => {
  assert.throws(() => parseHaproxyConfig('global\n    daemon\n'), HaproxyConfigParseError);
  assert.throws(() => parseHaproxyConfig('global\n  stats socket /x\n\nfrontend f\n    bind :80\n'), HaproxyConfigParseError);
});

test('bind addresses for advertisements (§4.2 examples)', () => {
  const config = [
    'frontend a',
    '    bind 203.0.113.2:80 ssl crt-list /x',
    '    bind 2001:db8::2:443 ssl crt-list /y',
    '    bind 198.51.100.1:81, 198.51.100.2:81 ssl',
    'frontend p',
    '    bind 127.0.0.1:9101',
  ].join('\n');
  assert.deepEqual(bindAddresses(config), ['203.0.113.2', '2001:db8::2', '198.51.100.1', '198.51.100.2', '127.0.0.1']);
});
