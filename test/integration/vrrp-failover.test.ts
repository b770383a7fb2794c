/**
 * ACTIVE_STANDBY with real keepalived and real VRRP: two amphorae (two agents, each with its
 * own network namespace and direct process manager) plugged onto one bridge beside a client
 * and a member. VRRP configurations come from Octavia's own Jinja renderer; the VIP must sit on
 * exactly one amphora, carry traffic, and move when the MASTER's haproxy stops or its
 * keepalived is killed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { restartAgentProcess } from '../helpers/agent-harness.ts';
import { waitFor } from '../helpers/haproxy-fixtures.ts';
import { createVrrpLab, MEMBER, VIP, type VrrpLab } from '../helpers/vrrp-lab.ts';
import { isProcessAlive } from '../../agent/util/process-state.ts';
import { runCommand } from '../../agent/util/run-command.ts';

/** Fast timers (check every second) keep the test short; the benchmark also runs Octavia's defaults. */
const TIMERS = { checkInterval: 1, failCount: 2, successCount: 2, garpRefreshInterval: 5, garpRefreshCount: 2, advertInt: 1 };

let lab: VrrpLab;
const amphorae = () => lab.amphorae;
const vipHolders = () => lab.vipHolders();
const getThroughVip = () => lab.getThroughVip();
const lbIdOf = () => lab.lbId;

before(async () => {
  lab = await createVrrpLab(TIMERS);
});

/**
 * Requests through the VIP back to back while `fault` runs and the pair recovers: the longest
 * time without an answer, and how long after the fault the BACKUP was seen holding the VIP.
 */
async function trafficDuring(fault: () => Promise<void>, backupName: string) {
  let running = true;
  let lastAnswer = Date.now();
  let longestGap = 0;
  let faultAt = 0;
  let backupAt = 0;
  const probe = (async () => {
    while (running) {
      if ((await lab.getThroughVip(0.5)) === 'member') {
        longestGap = Math.max(longestGap, Date.now() - lastAnswer);
        lastAnswer = Date.now();
      }
      if (faultAt > 0 && backupAt === 0 && (await vipHolders()).includes(backupName)) backupAt = Date.now();
    }
  })();
  faultAt = Date.now();
  await fault();
  await waitFor(async () => backupAt > 0 && Date.now() - lastAnswer < 500, 30_000, 'traffic through the VIP on the BACKUP');
  running = false;
  await probe;
  return { longestGap, failoverMs: backupAt - faultAt };
}

after(async () => {
  await lab?.cleanup();
});

test('two amphorae plugged, haproxy started, VRRP configured from Octavia renderings: one MASTER holds the VIP', async () => {
  await lab.configure();
  const lbId = lbIdOf();
  for (const amphora of amphorae()) {
    // The BACKUP's haproxy binds the VIP it does not hold.
    const sysctl = await runCommand('ip', ['netns', 'exec', amphora.namespace, 'sysctl', '-n', 'net.ipv4.ip_nonlocal_bind']);
    assert.match(sysctl.output, /^1/u);
    const checkScript = await readFile(join(amphora.agent.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'), 'utf8');
    assert.match(checkScript, new RegExp(`haproxy-vrrp-check\\.js ${amphora.agent.basePath}/${lbId}\\.sock; exit \\$\\?$`, 'u'));
    const configPath = join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.conf');
    const config = await readFile(configPath, 'utf8');
    assert.equal(config, lab.octaviaVrrpConfig(amphora, 'eth1'));
    assert.match(config, /state (MASTER|BACKUP)/u);
    assert.equal((await stat(join(amphora.agent.basePath, 'vrrp', 'check_script.sh'))).mode & 0o777, 0o755);
    // Both keepalived run side by side: each has its own pid files under its base_path.
    assert.ok(await lab.keepalivedPid(amphora), `${amphora.name} keepalived pid`);
    assert.ok(await stat(join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.vrrp.pid')));
  }
  // The upload's reply as the reference's: 200, {"message": "OK"}, ETag = MD5 of the body.
  const [first] = amphorae();
  const config = lab.octaviaVrrpConfig(first!, 'eth1');
  const uploaded = await first!.agent.request('PUT', '/1.0/vrrp/upload', config);
  assert.equal(uploaded.status, 200, uploaded.text);
  assert.deepEqual(JSON.parse(uploaded.text), { message: 'OK' });
  assert.equal(uploaded.headers.etag, createHash('md5').update(config).digest('hex'));
  await waitFor(async () => (await vipHolders()).join() === 'amp1', 20_000, 'the MASTER (priority 100) to hold the VIP alone');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP'), 'member');
});

test('bad input: unknown action, a configuration keepalived refuses, an upload while keepalived runs', async () => {
  const [first] = amphorae();
  const agent = first!.agent;
  const unknown = await agent.request('PUT', '/1.0/vrrp/restart');
  assert.equal(unknown.status, 400);
  assert.deepEqual(JSON.parse(unknown.text), { message: 'Invalid Request', details: 'Unknown action: restart' });
  const upper = await agent.request('PUT', '/1.0/vrrp/STOPP');
  assert.deepEqual(JSON.parse(upper.text), { message: 'Invalid Request', details: 'Unknown action: stopp' });

  const configPath = join(agent.basePath, 'vrrp', 'octavia-keepalived.conf');
  const live = await readFile(configPath, 'utf8');
  const pid = await lab.keepalivedPid(first!);
  const refused = await agent.request('PUT', '/1.0/vrrp/upload', live.replace('virtual_router_id 1', 'virtual_router_id 1\n    bogus_keyword 7'));
  assert.equal(refused.status, 400, refused.text);
  const body = JSON.parse(refused.text) as { message: string; details: string };
  assert.equal(body.message, 'Invalid request');
  assert.match(body.details, /Unknown keyword 'bogus_keyword'/u);
  assert.equal(await readFile(configPath, 'utf8'), live, 'the running file is untouched');
  await assert.rejects(stat(`${configPath}.new`));
  assert.equal(await lab.keepalivedPid(first!), pid, 'the running keepalived is untouched');

  // Accepted while running: stored, not applied until start (which becomes a reload).
  const changed = live.replace('garp_master_refresh_repeat 2', 'garp_master_refresh_repeat 3');
  const uploaded = await agent.request('PUT', '/1.0/vrrp/upload', changed);
  assert.equal(uploaded.status, 200, uploaded.text);
  assert.equal(await lab.keepalivedPid(first!), pid);
  const start = await agent.request('PUT', '/1.0/vrrp/start');
  assert.equal(start.status, 202, start.text);
  assert.deepEqual(JSON.parse(start.text), { message: 'OK', details: 'keepalived reloaded' });
  assert.equal(await lab.keepalivedPid(first!), pid, 'a reload keeps the process');
  await waitFor(async () => (await vipHolders()).join() === 'amp1', 10_000, 'the MASTER to keep the VIP across the reload');
});

test('haproxy stopped on the MASTER: the BACKUP takes the VIP; restarted: the MASTER preempts back (Octavia 11 renders state MASTER)', async () => {
  const [master, backup] = amphorae();
  const stopped = await master!.agent.request('PUT', `/1.0/loadbalancer/${lbIdOf()}/stop`);
  assert.equal(stopped.status, 202, stopped.text);
  // The last LB stopped: the check fails instead of passing (the reference's quirk V3).
  assert.equal(await readFile(join(master!.agent.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'), 'utf8'), 'exit 1');
  assert.equal(await lab.clientVipMac(), lab.macOf(master!));
  await waitFor(async () => (await vipHolders()).join() === backup!.name, 20_000, 'the BACKUP to take the VIP');
  // No client traffic since: only the new MASTER's gratuitous ARP can have moved the entry.
  await waitFor(async () => (await lab.clientVipMac()) === lab.macOf(backup!), 3000, "the client to learn the BACKUP's MAC from its GARP");
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP on the BACKUP'), 'member');

  const started = await master!.agent.request('PUT', `/1.0/loadbalancer/${lbIdOf()}/start`);
  assert.equal(started.status, 202, started.text);
  await waitFor(async () => (await vipHolders()).join() === master!.name, 20_000, 'the MASTER to take the VIP back');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP on the MASTER'), 'member');
});

test('keepalived killed on the MASTER: the BACKUP takes the VIP, the agent respawns keepalived, traffic resumes', async () => {
  const [master, backup] = amphorae();
  const pid = await lab.keepalivedPid(master!);
  assert.ok(pid);
  let backupHeld = false;
  const watching = (async () => {
    const deadline = Date.now() + 20_000;
    while (!backupHeld && Date.now() < deadline) {
      backupHeld = await lab.holdsVip(backup!);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  process.kill(pid, 'SIGKILL');
  const respawned = await waitFor(async () => {
    const next = await lab.keepalivedPid(master!);
    return next !== undefined && next !== pid ? next : undefined;
  }, 20_000, 'the agent to respawn keepalived');
  await watching;
  assert.ok(backupHeld, 'the BACKUP held the VIP while the MASTER had no keepalived');
  assert.ok(respawned);
  await waitFor(async () => (await vipHolders()).length === 1, 20_000, 'exactly one amphora to hold the VIP');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP after the respawn'), 'member');
});

test('the MASTER loses its VIP link: the BACKUP takes the VIP; link back: the MASTER rejoins and preempts', async () => {
  const [master, backup] = amphorae();
  try {
    const traffic = await trafficDuring(() => runCommand('ip', ['-n', master!.namespace, 'link', 'set', 'eth1', 'down']).then(() => undefined), backup!.name);
    // Traffic stops no longer than the failover takes (plus one probe's timeout).
    assert.ok(traffic.longestGap <= traffic.failoverMs + 1500, `traffic stopped ${traffic.longestGap} ms for a ${traffic.failoverMs} ms failover`);
    await waitFor(async () => (await vipHolders()).join() === backup!.name, 20_000, 'the BACKUP to take the VIP');
    assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP on the BACKUP'), 'member');
  } finally {
    await runCommand('ip', ['-n', master!.namespace, 'link', 'set', 'eth1', 'up']);
  }
  await waitFor(async () => (await vipHolders()).join() === master!.name, 30_000, 'the MASTER to take the VIP back');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP on the MASTER'), 'member');
});

test('agent restarts: a running keepalived is adopted (same pid, still respawned); one found dead is started again', async () => {
  const backup = amphorae()[1]!;
  const pid = await lab.keepalivedPid(backup);
  assert.ok(pid);
  await backup.agent.stop();
  backup.agent = await restartAgentProcess(backup.agent);
  assert.equal(await lab.keepalivedPid(backup), pid, 'adopted, not restarted');
  process.kill(pid, 'SIGKILL');
  const respawned = await waitFor(async () => {
    const next = await lab.keepalivedPid(backup);
    return next !== undefined && next !== pid ? next : undefined;
  }, 20_000, 'the restarted agent to respawn keepalived');
  // Killed while no agent runs (a crash, or a reboot): started again at agent start.
  await backup.agent.stop();
  process.kill(respawned, 'SIGKILL');
  await waitFor(async () => !(await isProcessAlive(respawned)), 5000, 'keepalived to die');
  backup.agent = await restartAgentProcess(backup.agent);
  const started = await lab.keepalivedPid(backup);
  assert.ok(started !== undefined && started !== respawned, 'started again at agent start');
  await waitFor(async () => (await vipHolders()).join() === amphorae()[0]!.name, 20_000, 'the MASTER to keep the VIP');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP'), 'member');
});

test('keepalived stopped through the API: stoped (sic), and the peer holds the VIP', async () => {
  const [master, backup] = amphorae();
  const stopped = await master!.agent.request('PUT', '/1.0/vrrp/stop');
  assert.equal(stopped.status, 202, stopped.text);
  assert.deepEqual(JSON.parse(stopped.text), { message: 'OK', details: 'keepalived stoped' });
  assert.equal(await lab.keepalivedPid(master!), undefined);
  await waitFor(async () => (await vipHolders()).join() === backup!.name, 20_000, 'the BACKUP to hold the VIP');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP'), 'member');
  const reload = await master!.agent.request('PUT', '/1.0/vrrp/reload');
  assert.equal(reload.status, 500, reload.text);
  assert.equal((JSON.parse(reload.text) as { message: string }).message, 'Failed to reload octavia-keepalived service');
});

test('the model endpoint: one ACTIVE_STANDBY model on both agents, keepalived rendered and applied by each', async () => {
  const lbId = randomUUID();
  lab.track(lbId);
  const [first, second] = amphorae();
  const model = {
    loadbalancer: {
      id: lbId,
      name: 'ha',
      project_id: 'p',
      admin_state_up: true,
      topology: 'ACTIVE_STANDBY',
      vip: { ip_address: VIP, subnet: { cidr: '203.0.113.0/24', gateway_ip: '203.0.113.1', host_routes: [] } },
      additional_vips: [],
      amphorae: [first!, second!].map((amphora, index) => ({
        id: amphora.agent.amphoraId,
        status: 'ALLOCATED',
        role: index === 0 ? 'MASTER' : 'BACKUP',
        vrrp_ip: amphora.vrrpIp,
        vrrp_interface: 'eth1',
        vrrp_id: 1,
        vrrp_priority: index === 0 ? 100 : 90,
      })),
      vrrp_group: { vrrp_group_name: 'hagroup', vrrp_auth_type: 'PASS', vrrp_auth_pass: 'x1y2z3w', advert_int: 1 },
      listeners: [
        {
          id: randomUUID(),
          name: 'web',
          protocol: 'HTTP',
          protocol_port: 81,
          connection_limit: 1000,
          default_pool_id: 'pool-ha',
          l7policies: [],
        },
      ],
      pools: [{ id: 'pool-ha', name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ id: 'm1', address: MEMBER, protocol_port: 8080 }] }],
    },
  };
  for (const amphora of [first!, second!]) {
    const answer = await amphora.agent.request('PUT', `/1.0/loadbalancer/${amphora.agent.amphoraId}/${lbId}/model`, JSON.stringify(model), {
      'Content-Type': 'application/json',
    });
    assert.equal(answer.status, 202, answer.text);
    const config = await readFile(join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.conf'), 'utf8');
    assert.match(config, new RegExp(`unicast_src_ip ${amphora.vrrpIp.replaceAll('.', '\\.')}\n`, 'u'));
    assert.match(config, /vrrp_instance hagroup/u);
    // Both load balancers are checked.
    const check = await readFile(join(amphora.agent.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'), 'utf8');
    assert.ok(check.includes(`${lbId}.sock`) && check.includes(`${lab.lbId}.sock`), check);
    assert.ok(await lab.keepalivedPid(amphora), `${amphora.name} keepalived running`);
  }
  await waitFor(async () => (await vipHolders()).length === 1, 20_000, 'exactly one amphora to hold the VIP');
  assert.equal(await waitFor(() => lab.getThroughVip(1, 81), 10_000, 'traffic through the VIP to the model LB'), 'member');

  // An ACTIVE_STANDBY model that cannot be rendered for this amphora is refused before anything changes.
  const broken = structuredClone(model);
  broken.loadbalancer.amphorae[0]!.vrrp_priority = null as unknown as number;
  const refused = await first!.agent.request('PUT', `/1.0/loadbalancer/${first!.agent.amphoraId}/${lbId}/model`, JSON.stringify(broken), {
    'Content-Type': 'application/json',
  });
  assert.equal(refused.status, 400, refused.text);
  assert.match(refused.text, /vrrp_priority/u);
});
