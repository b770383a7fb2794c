/**
 * The systemd process manager. systemd is not PID 1 on the test host, so `systemctl` is a
 * stand-in shell script (written below, clearly a fake) that records its arguments and fails
 * on demand; unit rendering is compared with Octavia's own Jinja template.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startStandIn } from '../../helpers/stand-in-process.ts';
import { createServer } from 'node:net';
import { mkdir, readFile, stat, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHaproxyUnit, renderNetnsUnit } from '../../../agent/daemons/systemd-units.ts';
import { SystemdProcessManager } from '../../../agent/haproxy/systemd-manager.ts';
import { HaproxyService } from '../../../agent/haproxy/lifecycle.ts';
import { refusalAnswer } from '../../helpers/refusal.ts';
import { lifecycleContext } from '../../helpers/lifecycle-context.ts';
import { fakeSystemctl } from '../../helpers/fake-systemctl.ts';

const TEMPLATES = '/usr/lib/python3/dist-packages/octavia/amphorae/backends/agent/api_server/templates';

function jinjaUnit(values: Record<string, unknown>): string {
  const script = [
    'import jinja2,json,sys',
    `env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(${JSON.stringify(TEMPLATES)}))`,
    'sys.stdout.write(env.get_template("systemd.conf.j2").render(**json.load(sys.stdin)))',
  ].join('\n');
  return execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(values) }).toString();
}

for (const version of [{ major: 2, minor: 6 }, { major: 1, minor: 7 }]) {
  test(`haproxy unit is byte-identical to Octavia's template (haproxy ${version.major}.${version.minor})`, () => {
    const ours = renderHaproxyUnit({
      haproxyCommand: '/usr/sbin/haproxy',
      haproxyConfig: '/var/lib/octavia/123/haproxy.cfg',
      userGroupConfig: '/var/lib/octavia/haproxy-default-user-group.conf',
      pidFile: '/var/lib/octavia/123/123.pid',
      peerName: 'WCbTKE70m_IHc_MucbXK5CkEoWQ',
      namespace: 'amphora-haproxy',
      version,
    });
    const reference = jinjaUnit({
      peer_name: 'WCbTKE70m_IHc_MucbXK5CkEoWQ',
      haproxy_pid: '/var/lib/octavia/123/123.pid',
      haproxy_cmd: '/usr/sbin/haproxy',
      haproxy_cfg: '/var/lib/octavia/123/haproxy.cfg',
      haproxy_user_group_cfg: '/var/lib/octavia/haproxy-default-user-group.conf',
      amphora_netns: 'amphora-netns',
      amphora_nsname: 'amphora-haproxy',
      haproxy_major_version: version.major,
      haproxy_minor_version: version.minor,
    });
    assert.equal(ours, reference);
  });
}

test('amphora-netns unit carries the specification\'s ExecStart lines, in order, and no [Install]', () => {
  const text = renderNetnsUnit({ namespace: 'amphora-haproxy', pluggedInterfaces: '/var/lib/octavia/plugged_interfaces' });
  const execs = text.split('\n').filter((line) => line.startsWith('ExecStart='));
  assert.equal(execs.length, 14);
  assert.ok(execs.every((line) => line.startsWith('ExecStart=-')));
  assert.deepEqual(execs.slice(0, 11), [
    'ExecStart=-/sbin/ip netns add amphora-haproxy',
    'ExecStart=-/sbin/ip netns exec amphora-haproxy sysctl --system',
    'ExecStart=-/sbin/ip netns exec amphora-haproxy modprobe ip_vs',
    'ExecStart=-/sbin/sysctl -w net.netfilter.nf_conntrack_buckets=125000',
    'ExecStart=-/sbin/sysctl -w net.netfilter.nf_conntrack_max=125000',
    'ExecStart=-/sbin/sysctl -w net.netfilter.nf_conntrack_expect_max=488',
    'ExecStart=-/sbin/ip netns exec amphora-haproxy sysctl -w net.ipv4.ip_forward=1',
    'ExecStart=-/sbin/ip netns exec amphora-haproxy sysctl -w net.ipv4.vs.conntrack=1',
    'ExecStart=-/sbin/ip netns exec amphora-haproxy sysctl -w net.ipv6.conf.all.forwarding=1',
    'ExecStart=-/sbin/ip netns exec amphora-haproxy sysctl -w net.ipv4.vs.expire_nodest_conn=1',
    'ExecStart=-/sbin/ip netns exec amphora-haproxy sysctl -w net.ipv4.vs.expire_quiescent_template=1',
  ]);
  assert.match(execs[11]!, /sort -k 1 \/var\/lib\/octavia\/plugged_interfaces > \/var\/lib\/octavia\/plugged_interfaces.sorted/u);
  assert.match(execs[12]!, /ip -br link .* netns amphora-haproxy name /u);
  assert.equal(execs[13], 'ExecStart=-/sbin/ip netns exec amphora-haproxy amphora-interface up all');
  assert.match(text, /StopWhenUnneeded=true/u);
  assert.doesNotMatch(text, /\[Install\]/u);
});

const VALID_CONFIG = (socket: string) =>
  `global\n    stats socket ${socket} mode 0666 level user\n    maxconn 100\n\ndefaults\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend f1\n    bind 127.0.0.1:1\n    mode tcp\n    default_backend b1\n\nbackend b1\n    mode tcp\n`;

test('upload, start, reload, stop and delete drive systemctl in the reference\'s order', async () => {
  const { context, directory, cleanup } = await lifecycleContext({ amphora_agent: ['process_manager = systemd'] });
  try {
    const systemctl = await fakeSystemctl(directory);
    const manager = new SystemdProcessManager(context, { systemctl: systemctl.path, uptimeProbeIntervalMs: 1 });
    const service = new HaproxyService(context, { processManager: manager });
    const lb = 'lb-0001';
    const body = Buffer.from(VALID_CONFIG(context.paths.statsSocket(lb)));
    const upload = await service.uploadConfig('amp_123', lb, async () => body);
    assert.equal(upload.status, 202);
    const unitPath = join(context.paths.systemdDir, `haproxy-${lb}.service`);
    assert.equal((await stat(unitPath)).mode & 0o777, 0o644);
    assert.equal((await stat(join(context.paths.systemdDir, 'amphora-netns.service'))).mode & 0o777, 0o644);
    const unit = await readFile(unitPath, 'utf8');
    assert.match(unit, /-L WCbTKE70m_IHc_MucbXK5CkEoWQ$/mu);
    assert.match(unit, /^ExecStart=\/usr\/sbin\/haproxy -Ws /mu, 'empty network_namespace: no ip netns exec');
    assert.deepEqual(await systemctl.calls(), ['enable amphora-netns.service', `enable haproxy-${lb}.service`]);

    // Second upload with the same unit content: no rewrite, no daemon-reload.
    await service.uploadConfig('amp_123', lb, async () => body);
    assert.deepEqual((await systemctl.calls()).slice(2), ['enable amphora-netns.service', `enable haproxy-${lb}.service`]);

    // Not running (no pid file): reload becomes start.
    const started = await service.runAction(lb, 'RELOAD');
    assert.deepEqual(started.body, { message: 'OK', details: `Configuration file is valid\nhaproxy daemon for ${lb} started` });
    assert.equal((await systemctl.calls()).at(-1), `start haproxy-${lb}.service`);

    // "Running": the pid file names a live process whose command line carries this LB's config
    // path, as systemd's haproxy would (a stand-in process, since systemd does not run here).
    const standIn = startStandIn('haproxy', '-f', context.paths.haproxyConfig(lb));
    after(() => standIn.kill());
    await writeFile(context.paths.haproxyPidFile(lb), `${standIn.pid}\n`);
    const reloaded = await service.runAction(lb, 'reload');
    assert.deepEqual(reloaded.body, { message: 'OK', details: `Listener ${lb} reloaded` });
    assert.equal((await systemctl.calls()).at(-1), `reload haproxy-${lb}.service`);

    const stopped = await service.runAction(lb, 'stop');
    assert.deepEqual(stopped.body, { message: 'OK', details: `Listener ${lb} stoped` });

    await systemctl.failWith('stop', 'random error');
    await assert.rejects(service.deleteObject(lb), (thrown: unknown) => {
      const error = refusalAnswer(thrown);
      assert.equal(error.status, 500);
      assert.deepEqual(error.body, { message: 'Error stopping haproxy', details: 'random error' });
      return true;
    });
    await rm(join(directory, 'fake-bin', 'fail-stop'));
    const before = (await systemctl.calls()).length;
    assert.equal((await service.deleteObject(lb)).status, 200);
    assert.deepEqual((await systemctl.calls()).slice(before), [`stop haproxy-${lb}.service`, `disable haproxy-${lb}.service`, 'daemon-reload']);
    await assert.rejects(stat(unitPath));
    await assert.rejects(stat(context.paths.lbDir(lb)));
  } finally {
    await cleanup();
  }
});

test('enable failure answers the reference\'s (mis-named) 500', async () => {
  const { context, directory, cleanup } = await lifecycleContext();
  try {
    const systemctl = await fakeSystemctl(directory);
    await systemctl.failWith('enable', 'random error');
    const service = new HaproxyService(context, { processManager: new SystemdProcessManager(context, { systemctl: systemctl.path }) });
    const lb = 'lb-0002';
    await assert.rejects(service.uploadConfig('amp', lb, async () => Buffer.from(VALID_CONFIG(context.paths.statsSocket(lb)))), (thrown: unknown) => {
      const error = refusalAnswer(thrown);
      assert.equal(error.status, 500);
      assert.deepEqual(error.body, { message: 'Error enabling octavia-keepalived service', details: 'random error' });
      return true;
    });
  } finally {
    await cleanup();
  }
});

test('reload: three "not active" failures without stats answer → failure; a recent uptime → success', async () => {
  const { context, directory, cleanup } = await lifecycleContext();
  try {
    const systemctl = await fakeSystemctl(directory);
    const manager = new SystemdProcessManager(context, { systemctl: systemctl.path, uptimeProbeIntervalMs: 1 });
    const lb = 'lb-0003';
    await systemctl.failWith('reload', 'haproxy.service is not active, cannot reload.');
    const failed = await manager.reload(lb);
    assert.deepEqual(failed, { ok: false, output: 'haproxy.service is not active, cannot reload.' });
    assert.equal((await systemctl.calls()).filter((call) => call.startsWith('reload')).length, 3);

    await mkdir(context.paths.basePath, { recursive: true });
    const server = createServer((socket) => socket.end('Name: HAProxy\nUptime_sec: 5\n'));
    await new Promise<void>((resolve) => server.listen(context.paths.statsSocket(lb), resolve));
    try {
      const before = (await systemctl.calls()).length;
      assert.equal((await manager.reload(lb)).ok, true);
      assert.equal((await systemctl.calls()).length - before, 1);
    } finally {
      server.close();
    }

    await systemctl.failWith('reload', 'Job is already running');
    assert.equal((await manager.reload(lb)).ok, true);
    await systemctl.failWith('start', 'random error');
    assert.deepEqual(await manager.start(lb), { ok: false, output: 'random error' });
  } finally {
    await cleanup();
  }
});

test('a stale unit (changed haproxy_cmd) is rewritten and systemd told', async () => {
  const { context, directory, cleanup } = await lifecycleContext();
  try {
    const systemctl = await fakeSystemctl(directory);
    const manager = new SystemdProcessManager(context, { systemctl: systemctl.path });
    const unitPath = join(context.paths.systemdDir, 'haproxy-lb-0004.service');
    await mkdir(context.paths.systemdDir, { recursive: true });
    await writeFile(unitPath, 'stale');
    assert.equal((await manager.prepare('lb-0004', 'peer')).ok, true);
    assert.match(await readFile(unitPath, 'utf8'), /^\[Unit\]/u);
    assert.ok((await systemctl.calls()).includes('daemon-reload'));
  } finally {
    await cleanup();
  }
});

test('with the worker bound, the unit differs from the reference only by the extra include', () => {
  const values = {
    haproxyCommand: '/usr/sbin/haproxy',
    haproxyConfig: '/var/lib/octavia/123/haproxy.cfg',
    userGroupConfig: '/var/lib/octavia/haproxy-default-user-group.conf',
    pidFile: '/var/lib/octavia/123/123.pid',
    peerName: 'WCbTKE70m_IHc_MucbXK5CkEoWQ',
    namespace: 'amphora-haproxy',
    version: { major: 2, minor: 6 },
  };
  const bounded = renderHaproxyUnit({ ...values, limitsConfig: '/var/lib/octavia/haproxy-agent-limits.cfg' });
  assert.match(bounded, /"LIMITS=\/var\/lib\/octavia\/haproxy-agent-limits\.cfg"/u);
  const execLines = bounded.split('\n').filter((line) => /^Exec(Start|StartPre|Reload)=.*haproxy /u.test(line));
  assert.equal(execLines.length, 3);
  for (const line of execLines) assert.match(line, /-f \$USERCONFIG -f \$LIMITS /u);
  const withoutBound = bounded.replace(' "LIMITS=/var/lib/octavia/haproxy-agent-limits.cfg"', '').replaceAll(' -f $LIMITS', '');
  assert.equal(withoutBound, renderHaproxyUnit(values));
});
