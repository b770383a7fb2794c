/**
 * VRRP keepalived under systemd. systemd is not PID 1 on the test host, so `systemctl` is a
 * FAKE that records its arguments (test/helpers/fake-systemctl.ts); keepalived's config test is
 * real, run in a namespace of this test that has the VRRP interface. The unit text is compared
 * with Octavia's own keepalived.systemd.j2 rendered by /usr/bin/python3.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Refusal } from '../../../agent/domain/refusal.ts';
import { runCommand } from '../../../agent/util/run-command.ts';
import { KeepalivedVrrpSystemdManager, keepalivedVrrpUnitText } from '../../../agent/vrrp/systemd-manager.ts';
import { vrrpPaths } from '../../../agent/vrrp/paths.ts';
import { VrrpService } from '../../../agent/vrrp/service.ts';
import { fakeSystemctl } from '../../helpers/fake-systemctl.ts';
import { lifecycleContext } from '../../helpers/lifecycle-context.ts';
import { startStandIn } from '../../helpers/stand-in-process.ts';
import { vrrpConfig } from '../../helpers/vrrp-fixtures.ts';

const TEMPLATES = '/usr/lib/python3/dist-packages/octavia/amphorae/backends/agent/api_server/templates';
const namespace = `t-vrrpu-${randomBytes(3).toString('hex')}`;

function jinjaVrrpUnit(basePath: string): string {
  const script = [
    'import jinja2,json,sys',
    'from octavia.common import constants as consts',
    'v = json.load(sys.stdin)',
    `env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(${JSON.stringify(TEMPLATES)}))`,
    'k = v["base"] + "/vrrp/octavia-keepalived"',
    'sys.stdout.write(env.get_template(consts.KEEPALIVED_JINJA2_SYSTEMD).render(',
    '    keepalived_pid=k + ".pid", vrrp_pid=k + ".vrrp.pid", check_pid=k + ".check.pid",',
    '    keepalived_cmd=consts.KEEPALIVED_CMD, keepalived_cfg=k + ".conf",',
    '    amphora_nsname=consts.AMPHORA_NAMESPACE, amphora_netns=consts.AMP_NETNS_SVC_PREFIX,',
    '    administrative_log_facility=1))',
  ].join('\n');
  return execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ base: basePath }) }).toString();
}

before(async () => {
  for (const args of [['netns', 'add', namespace], ['-n', namespace, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth9'], ['-n', namespace, 'link', 'set', 'eth1', 'up']]) {
    const result = await runCommand('ip', args);
    assert.equal(result.exitCode, 0, result.output);
  }
});

after(async () => {
  await runCommand('ip', ['netns', 'del', namespace]);
});

test("the VRRP unit is Octavia's keepalived.systemd.j2 with every pid file under base_path", async () => {
  const { context, cleanup } = await lifecycleContext({
    haproxy_amphora: ['base_path = /var/lib/octavia'],
    amphora_agent: ['network_namespace = amphora-haproxy'],
  });
  try {
    assert.equal(keepalivedVrrpUnitText(context), jinjaVrrpUnit('/var/lib/octavia'));
  } finally {
    await cleanup();
  }
});

test('upload, actions and refusals through systemctl', async () => {
  const { context, directory, cleanup } = await lifecycleContext({
    amphora_agent: [`network_namespace = ${namespace}`, 'process_manager = systemd'],
  });
  const systemctl = await fakeSystemctl(directory);
  const service = new VrrpService(context, { processManager: new KeepalivedVrrpSystemdManager(context, systemctl.path) });
  const files = vrrpPaths(context.paths);
  const basePath = context.paths.basePath;
  try {
    const reply = await service.upload(async () => Buffer.from(vrrpConfig(basePath)));
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { message: 'OK' });
    assert.equal(reply.etag, createHash('md5').update(vrrpConfig(basePath)).digest('hex'));
    assert.deepEqual(await systemctl.calls(), ['enable amphora-netns', 'enable octavia-keepalived.service']);
    const unit = join(context.paths.systemdDir, 'octavia-keepalived.service');
    assert.equal(await readFile(unit, 'utf8'), keepalivedVrrpUnitText(context));
    assert.equal((await stat(unit)).mode & 0o777, 0o644);
    assert.equal(await readFile(files.haproxyCheckScript, 'utf8'), 'exit 0');

    // A refused config: 400 naming keepalived's complaint, nothing replaced, no systemctl call.
    await assert.rejects(
      service.upload(async () => Buffer.from(vrrpConfig(basePath, '    garp_master_refresh nonsense\n    bogus_keyword 1'))),
      (error: Refusal) => error.status === 400 && /Unknown keyword 'bogus_keyword'/u.test(error.details ?? ''),
    );
    assert.equal(await readFile(files.config, 'utf8'), vrrpConfig(basePath));
    assert.equal((await systemctl.calls()).length, 2);

    // A changed unit text (agent upgrade) is rewritten and systemd told (the reference never does).
    await writeFile(unit, 'old unit');
    await service.upload(async () => Buffer.from(vrrpConfig(basePath)));
    assert.equal(await readFile(unit, 'utf8'), keepalivedVrrpUnitText(context));
    assert.deepEqual((await systemctl.calls()).slice(2), ['enable amphora-netns', 'daemon-reload', 'enable octavia-keepalived.service']);

    assert.deepEqual((await service.action('Start')).body, { message: 'OK', details: 'keepalived started' });
    // A live keepalived behind the pid file: start becomes reload (V2).
    const standIn = startStandIn('keepalived');
    try {
      await writeFile(files.pidFile, `${standIn.pid}\n`);
      assert.deepEqual((await service.action('start')).body, { message: 'OK', details: 'keepalived reloaded' });
    } finally {
      standIn.kill('SIGKILL');
    }
    assert.deepEqual((await service.action('stop')).body, { message: 'OK', details: 'keepalived stoped' });
    assert.deepEqual((await systemctl.calls()).slice(5), [
      'start octavia-keepalived.service',
      'reload octavia-keepalived.service',
      'stop octavia-keepalived.service',
    ]);

    await systemctl.failWith('start', 'Job for octavia-keepalived.service failed.');
    await assert.rejects(service.action('start'), (error: Refusal) => {
      assert.deepEqual([error.status, error.text, error.details], [500, 'Failed to start octavia-keepalived service', 'Job for octavia-keepalived.service failed.']);
      return true;
    });
    await systemctl.failWith('enable', 'Failed to enable unit');
    await assert.rejects(service.upload(async () => Buffer.from(vrrpConfig(basePath))), (error: Refusal) => {
      assert.deepEqual([error.status, error.text], [500, 'Error enabling octavia-keepalived service']);
      return true;
    });
    await assert.rejects(service.action('restart'), (error: Refusal) => {
      assert.deepEqual([error.status, error.text, error.details], [400, 'Invalid Request', 'Unknown action: restart']);
      return true;
    });
  } finally {
    await cleanup();
  }
});
