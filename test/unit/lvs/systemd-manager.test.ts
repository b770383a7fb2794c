/**
 * keepalived LVS listeners under systemd. systemd is not PID 1 on the test host, so
 * `systemctl` is a FAKE that records its arguments (test/helpers/fake-systemctl.ts); the unit
 * text is compared with Octavia's own Jinja template rendered by /usr/bin/python3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { refusalAnswer } from '../../helpers/refusal.ts';
import { HaproxyService } from '../../../agent/haproxy/lifecycle.ts';
import { lvsChildPidPaths, lvsConfigPath, lvsPidPath } from '../../../agent/lvs/layout.ts';
import { LvsListenerService } from '../../../agent/lvs/listener-service.ts';
import { KeepalivedSystemdManager, keepalivedLvsUnitText } from '../../../agent/lvs/systemd-manager.ts';
import { renderKeepalivedLvsUnit } from '../../../agent/daemons/systemd-units.ts';
import { fakeSystemctl } from '../../helpers/fake-systemctl.ts';
import { lifecycleContext } from '../../helpers/lifecycle-context.ts';
import { disabledLvsConfig } from '../../helpers/lvs-fixtures.ts';

const TEMPLATES = '/usr/lib/python3/dist-packages/octavia/amphorae/backends/agent/api_server/templates';

/** Octavia's keepalived.systemd.j2 with the values keepalivedlvs.py passes it. */
function jinjaLvsUnit(listenerId: string, basePath: string, facility: number): string {
  const script = [
    'import jinja2,json,sys',
    'from octavia.common import constants as consts',
    'v = json.load(sys.stdin)',
    `env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(${JSON.stringify(TEMPLATES)}))`,
    'lvs = v["base"] + "/lvs/octavia-keepalivedlvs-" + v["id"]',
    'sys.stdout.write(env.get_template(consts.KEEPALIVED_JINJA2_SYSTEMD).render(',
    '    keepalived_pid=lvs + ".pid", vrrp_pid=lvs + ".vrrp.pid", check_pid=lvs + ".check.pid",',
    '    keepalived_cmd=consts.KEEPALIVED_CMD, keepalived_cfg=lvs + ".conf",',
    '    amphora_nsname=consts.AMPHORA_NAMESPACE, amphora_netns=consts.AMP_NETNS_SVC_PREFIX,',
    '    administrative_log_facility=v["facility"]))',
  ].join('\n');
  return execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ id: listenerId, base: basePath, facility }) }).toString();
}

test('the LVS unit is byte-identical to Octavia\'s template', async () => {
  const listenerId = randomUUID();
  const { context, cleanup } = await lifecycleContext({
    haproxy_amphora: ['base_path = /var/lib/octavia'],
    amphora_agent: ['network_namespace = amphora-haproxy', 'administrative_log_facility = 3'],
  });
  try {
    assert.equal(keepalivedLvsUnitText(context, listenerId), jinjaLvsUnit(listenerId, '/var/lib/octavia', 3));
  } finally {
    await cleanup();
  }
});

test('an empty network_namespace drops only the ip netns exec prefix', () => {
  const unit = renderKeepalivedLvsUnit({
    keepalivedCommand: '/usr/sbin/keepalived',
    logFacility: 1,
    configFile: '/b/lvs/x.conf',
    pidFile: '/b/lvs/x.pid',
    vrrpPidFile: '/b/lvs/x.vrrp.pid',
    checkPidFile: '/b/lvs/x.check.pid',
    namespace: '',
  });
  assert.match(unit, /^ExecStart=\/usr\/sbin\/keepalived {2}--log-facility=1 -f \/b\/lvs\/x.conf -p \/b\/lvs\/x.pid -r \/b\/lvs\/x.vrrp.pid -c \/b\/lvs\/x.check.pid$/mu);
});

test('upload, start, reload, stop and delete drive systemctl as the reference does', async () => {
  const { context, directory, cleanup } = await lifecycleContext({ amphora_agent: ['process_manager = systemd'] });
  try {
    const systemctl = await fakeSystemctl(directory);
    const manager = new KeepalivedSystemdManager(context, { systemctl: systemctl.path });
    const lvs = new LvsListenerService(context, { processManager: manager });
    const haproxy = new HaproxyService(context, { lvs });
    const id = randomUUID();
    const unit = `octavia-keepalivedlvs-${id}.service`;
    const unitPath = join(context.paths.systemdDir, unit);

    assert.equal((await lvs.upload(id, async () => Buffer.from(disabledLvsConfig('lb', id, 'amphora-haproxy')))).status, 200);
    assert.equal((await stat(unitPath)).mode & 0o7777, 0o644);
    assert.equal(await readFile(unitPath, 'utf8'), keepalivedLvsUnitText(context, id));
    assert.equal((await stat(join(context.paths.systemdDir, 'amphora-netns.service'))).mode & 0o7777, 0o644);
    assert.deepEqual(await systemctl.calls(), ['enable amphora-netns', `enable ${unit}`]);

    const calls = async () => (await systemctl.calls()).slice(2);
    assert.deepEqual((await haproxy.runAction(id, 'start')).body, { message: 'OK', details: `keepalivedlvs listener ${id} started` });
    assert.deepEqual((await haproxy.runAction(id, 'reload')).body, { message: 'OK', details: `keepalivedlvs listener ${id} restarted` });
    assert.deepEqual((await haproxy.runAction(id, 'stop')).body, { message: 'OK', details: `keepalivedlvs listener ${id} stoped` });
    assert.deepEqual(await calls(), [`start ${unit}`, `restart ${unit}`, `stop ${unit}`]);

    await systemctl.failWith('restart', 'Job failed');
    await assert.rejects(haproxy.runAction(id, 'reload'), (thrown: unknown) => {
      const error = refusalAnswer(thrown);
      assert.equal(error.status, 500);
      assert.deepEqual(error.body, { message: `Failed to restart keepalivedlvs listener ${id}`, details: 'Job failed' });
      return true;
    });

    // "Running": a pid file naming a live process; stop failure stops the delete before any file goes.
    await writeFile(lvsPidPath(context.paths, id), `${process.pid}\n`);
    await systemctl.failWith('stop', 'cannot stop');
    await assert.rejects(haproxy.deleteObject(id), (thrown: unknown) => {
      const error = refusalAnswer(thrown);
      assert.deepEqual([error.status, error.body], [500, { message: 'Error stopping keepalivedlvs', details: 'cannot stop' }]);
      return true;
    });
    await readFile(lvsConfigPath(context.paths, id));
    await rm(join(directory, 'fake-bin', 'fail-stop'));

    await systemctl.failWith('disable', 'cannot disable');
    await assert.rejects(haproxy.deleteObject(id), (thrown: unknown) => {
      const error = refusalAnswer(thrown);
      assert.deepEqual([error.status, error.body], [500, { message: `Error disabling octavia-keepalivedlvs-${id} service`, details: 'cannot disable' }]);
      return true;
    });
    await rm(join(directory, 'fake-bin', 'fail-disable'));

    // Only the stale child pid file left: removed with the rest (the reference crashes, §8.4).
    await writeFile(lvsChildPidPaths(context.paths, id).check, '1\n');
    const before = (await systemctl.calls()).length;
    assert.deepEqual((await haproxy.deleteObject(id)).body, { message: 'OK' });
    assert.deepEqual((await systemctl.calls()).slice(before), [`disable ${unit}`, 'daemon-reload']);
    for (const gone of [unitPath, lvsConfigPath(context.paths, id), lvsChildPidPaths(context.paths, id).check]) {
      await assert.rejects(stat(gone), `${gone} removed`);
    }
  } finally {
    await cleanup();
  }
});

test('enable failure on upload is the reference\'s 500', async () => {
  const { context, directory, cleanup } = await lifecycleContext();
  try {
    const systemctl = await fakeSystemctl(directory);
    await systemctl.failWith('enable', 'no such unit');
    const lvs = new LvsListenerService(context, { processManager: new KeepalivedSystemdManager(context, { systemctl: systemctl.path }) });
    const id = randomUUID();
    await assert.rejects(lvs.upload(id, async () => Buffer.from(disabledLvsConfig('lb', id, 'amphora-haproxy'))), (thrown: unknown) => {
      const error = refusalAnswer(thrown);
      assert.deepEqual([error.status, error.body], [500, { message: 'Error enabling octavia-keepalivedlvs service', details: 'no such unit' }]);
      return true;
    });
  } finally {
    await cleanup();
  }
});
