import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError, defaultConfigSources, parseConfigText, readSources } from '../../../agent/config/load.ts';
import { parseIni } from '../../../agent/config/ini.ts';
import { LiveConfig } from '../../../agent/config/live-config.ts';

test('defaults match the reference when nothing is set', () => {
  const config = buildConfig(new Map());
  assert.equal(config.haproxy_amphora.base_path, '/var/lib/octavia');
  assert.equal(config.haproxy_amphora.bind_host, '::');
  assert.equal(config.haproxy_amphora.bind_port, 9443);
  assert.equal(config.amphora_agent.agent_request_read_timeout, 180);
  assert.equal(config.amphora_agent.agent_tls_protocol, 'TLSv1.2');
  assert.equal(config.health_manager.heartbeat_interval, 10);
  assert.equal(config.health_manager.heartbeat_key, 'None');
  assert.deepEqual(config.health_manager.controller_ip_port_list, []);
  assert.equal(config.controller_worker.loadbalancer_topology, 'SINGLE');
  assert.equal(config.amphora_agent.process_manager, 'auto');
  assert.equal(config.amphora_agent.network_namespace, 'amphora-haproxy');
});

test('types: booleans, integers with separators, lists with trailing commas', () => {
  const config = parseConfigText(
    [
      '[DEFAULT]',
      'debug = Yes',
      '[haproxy_amphora]',
      'bind_port = 9_443',
      '[health_manager]',
      'controller_ip_port_list = 192.0.2.1:5555, [2001:db8::1]:5555,',
      'heartbeat_interval =',
    ].join('\n'),
    'test.conf',
  );
  assert.equal(config.DEFAULT.debug, true);
  assert.equal(config.haproxy_amphora.bind_port, 9443);
  assert.deepEqual(config.health_manager.controller_ip_port_list, ['192.0.2.1:5555', '[2001:db8::1]:5555']);
  assert.equal(config.health_manager.heartbeat_interval, 10, 'an empty integer keeps the default instead of crashing');
});

test('a bad value names group, option and value', () => {
  assert.throws(() => parseConfigText('[haproxy_amphora]\nbind_port = 70000\n', 't'), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /\[haproxy_amphora\] bind_port = "70000": must be at most 65535/u);
    return true;
  });
  assert.throws(() => parseConfigText('[DEFAULT]\ndebug = maybe\n', 't'), /\[DEFAULT\] debug = "maybe"/u);
  assert.throws(() => parseConfigText('[haproxy_amphora]\nbind_host = not-an-ip\n', 't'), /bind_host/u);
  assert.throws(() => parseConfigText('[controller_worker]\nloadbalancer_topology = single\n', 't'), /must be one of SINGLE, ACTIVE_STANDBY/u);
  assert.throws(() => parseConfigText('[amphora_agent]\nagent_request_read_timeout = -1\n', 't'), /at least 0/u);
});

test('interpolation: $name, ${group.name}, $$ and \\$', () => {
  const config = parseConfigText(
    [
      '[haproxy_amphora]',
      'base_path = /srv/octavia',
      'base_cert_dir = ${base_path}/certs',
      '[amphora_agent]',
      'agent_server_cert = ${haproxy_amphora.base_path}/server.pem',
      '[health_manager]',
      'heartbeat_key = a$$b\\$c',
    ].join('\n'),
    't',
  );
  assert.equal(config.haproxy_amphora.base_cert_dir, '/srv/octavia/certs');
  assert.equal(config.amphora_agent.agent_server_cert, '/srv/octavia/server.pem');
  assert.equal(config.health_manager.heartbeat_key, 'a$b$c');
  assert.throws(() => parseConfigText('[haproxy_amphora]\nbase_path = $unknown_option\n', 't'), /unknown option/u);
});

test('unknown groups and options are ignored, the known ones beside them still read', () => {
  const config = parseConfigText('[nova]\nfoo = bar\n[haproxy_amphora]\nno_such_option = 1\nbind_port = 9555\n[amphora_agent]\nuser_log_facility = 3\n', 't');
  assert.equal(config.haproxy_amphora.bind_port, 9555);
  assert.equal(config.amphora_agent.user_log_facility, 3);
  assert.equal('nova' in config, false);
  assert.equal('no_such_option' in config.haproxy_amphora, false);
});

test('files then config dirs, later values win', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'config-'));
  const first = join(directory, 'a.conf');
  const second = join(directory, 'b.conf');
  const confDir = join(directory, 'conf.d');
  await mkdir(confDir);
  await writeFile(first, '[haproxy_amphora]\nbind_port = 1000\nbase_path = /a\n');
  await writeFile(second, '[haproxy_amphora]\nbind_port = 2000\n');
  await writeFile(join(confDir, '20-late.conf'), '[haproxy_amphora]\nbase_path = /late\n');
  await writeFile(join(confDir, '10-early.conf'), '[haproxy_amphora]\nbase_path = /early\n');
  await writeFile(join(confDir, 'ignored.txt'), '[haproxy_amphora]\nbase_path = /ignored\n');
  const config = buildConfig(readSources({ files: [first, second], directories: [confDir] }));
  assert.equal(config.haproxy_amphora.bind_port, 2000);
  assert.equal(config.haproxy_amphora.base_path, '/late');
  assert.throws(() => readSources({ files: [join(directory, 'missing.conf')], directories: [] }), /cannot read config file/u);
});

test('default search looks in ~/.octavia, ~, /etc/octavia, /etc', async () => {
  const home = await mkdtemp(join(tmpdir(), 'home-'));
  await mkdir(join(home, '.octavia'));
  await writeFile(join(home, '.octavia', 'amphora-agent.conf'), '[DEFAULT]\n');
  await mkdir(join(home, 'amphora-agent.conf.d'));
  const sources = defaultConfigSources(home);
  assert.ok(sources.files.includes(join(home, '.octavia', 'amphora-agent.conf')));
  assert.ok(sources.directories.includes(join(home, 'amphora-agent.conf.d')));
  // What is found is also read: the file's value, then the directory's override of it.
  await writeFile(join(home, '.octavia', 'amphora-agent.conf'), '[haproxy_amphora]\nbind_port = 9601\nbase_path = /from-file\n');
  await writeFile(join(home, 'amphora-agent.conf.d', 'override.conf'), '[haproxy_amphora]\nbase_path = /from-dir\n');
  const mine = { files: sources.files.filter((file) => file.startsWith(home)), directories: sources.directories.filter((dir) => dir.startsWith(home)) };
  const config = buildConfig(readSources(mine));
  assert.equal(config.haproxy_amphora.bind_port, 9601);
  assert.equal(config.haproxy_amphora.base_path, '/from-dir');
});

test('live config: mutable options change, immutable ones keep their start-up value', () => {
  const initial = parseConfigText('[haproxy_amphora]\nbind_port = 1000\n[health_manager]\nheartbeat_interval = 3\n', 't');
  const live = new LiveConfig(initial, { files: ['t'], directories: [] });
  let notified = 0;
  live.on('change', () => notified++);
  const next = buildConfig(parseIni('[haproxy_amphora]\nbind_port = 2000\n[health_manager]\nheartbeat_interval = 7\n'));
  const changes = live.apply(next);
  assert.deepEqual(changes, [
    { group: 'haproxy_amphora', name: 'bind_port', applied: false },
    { group: 'health_manager', name: 'heartbeat_interval', applied: true },
  ]);
  assert.equal(live.current.haproxy_amphora.bind_port, 1000);
  assert.equal(live.current.health_manager.heartbeat_interval, 7);
  assert.equal(notified, 1);
});

test('nested $option references cannot make a small file expand without end', () => {
  // Twelve levels, each referring to the next eight times: 8^12 expansions without bounds.
  const levels = Array.from({ length: 12 }, (_, index) => `o${index} = ${`$o${index + 1}`.repeat(8)}`);
  const text = `[DEFAULT]\n${levels.join('\n')}\no12 = x\n[haproxy_amphora]\nbase_path = $o0\n`;
  const started = performance.now();
  assert.throws(() => parseConfigText(text, 'nested.conf'), /expands to more than 65536 characters/u);
  assert.ok(performance.now() - started < 2000, 'refused without doing the exponential work');
  const deep = Array.from({ length: 30 }, (_, index) => `d${index} = $d${index + 1}`).join('\n');
  assert.throws(() => parseConfigText(`[DEFAULT]\n${deep}\nd30 = $$\n[haproxy_amphora]\nbase_path = $d0\n`, 'deep.conf'), /more than 16 deep/u);
  // Fan-out alone, with a short result, is fine and each option is expanded once.
  const wide = `[DEFAULT]\nleaf = ab\nmid = $leaf$leaf\n[haproxy_amphora]\nbase_path = /srv/$mid$mid\n`;
  assert.equal(parseConfigText(wide, 'wide.conf').haproxy_amphora.base_path, '/srv/abababab');
});
