/**
 * ACTIVE_STANDBY with real keepalived and real VRRP: two amphorae (two agents, each with its
 * own network namespace and direct process manager) plugged onto one bridge beside a client
 * and a member. VRRP configurations come from Octavia's own Jinja renderer; the VIP must sit on
 * exactly one amphora, carry traffic, and move when the MASTER's haproxy stops or its
 * keepalived is killed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { restartAgentProcess, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { killHaproxyUnder, processesMentioning, waitFor } from '../helpers/haproxy-fixtures.ts';
import { createVethLab, labMac, type VethLab } from '../helpers/veth-lab.ts';
import { isProcessAlive } from '../../agent/util/process-state.ts';
import { runCommand } from '../../agent/util/run-command.ts';

const PYTHON = '/usr/bin/python3';
const RENDERER = new URL('../interop/octavia_render.py', import.meta.url).pathname;
const VIP = '203.0.113.10';
const MEMBER = '203.0.113.60';
const CLIENT = '203.0.113.50';
/** Fast timers (check every second) keep the test short; the benchmark also runs Octavia's defaults. */
const TIMERS = { checkInterval: 1, failCount: 2, successCount: 2, garpRefreshInterval: 5, garpRefreshCount: 2 };

interface Amphora {
  name: string;
  vrrpIp: string;
  namespace: string;
  rootLink: string;
  agent: AgentHandle;
}

let lab: VethLab;
let bridge: string;
let client: string;
let member: string;
let memberServer: ChildProcess | undefined;
const amphorae: Amphora[] = [];
const lbId = randomUUID();
const listenerId = randomUUID();

async function must(file: string, args: string[]): Promise<string> {
  const result = await runCommand(file, args, { timeoutMs: 15_000 });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.output}`);
  return result.output;
}

function haproxyConfig(basePath: string): string {
  return [
    `# Configuration for loadbalancer ${lbId}`,
    'global',
    '    daemon',
    '    user nobody',
    '    group nogroup',
    `    stats socket ${basePath}/${lbId}.sock mode 0666 level user`,
    '    maxconn 4000',
    '',
    'defaults',
    '    timeout connect 2s',
    '    timeout client 10s',
    '    timeout server 10s',
    '',
    `frontend ${listenerId}`,
    '    maxconn 4000',
    `    bind ${VIP}:80`,
    '    mode http',
    `    default_backend pool`,
    '',
    'backend pool',
    '    mode http',
    `    server member ${MEMBER}:8080`,
    '',
  ].join('\n');
}

/** Each amphora's keepalived.conf exactly as Octavia 11 renders it (MASTER priority 100, BACKUP 90). */
function octaviaVrrpConfig(self: Amphora, interfaceName: string): string {
  const model = {
    loadbalancer: {
      vip: { ip_address: VIP, subnet: { cidr: '203.0.113.0/24', gateway_ip: '203.0.113.1', host_routes: [] } },
      additional_vips: [],
      amphorae: amphorae.map((amphora, index) => ({
        id: amphora.name,
        status: 'ALLOCATED',
        role: index === 0 ? 'MASTER' : 'BACKUP',
        vrrp_ip: amphora.vrrpIp,
        vrrp_interface: interfaceName,
        vrrp_id: 1,
        vrrp_priority: index === 0 ? 100 : 90,
      })),
      vrrp_group: { vrrp_group_name: lbId.replaceAll('-', ''), vrrp_auth_type: 'PASS', vrrp_auth_pass: 'a1b2c3d', advert_int: 1 },
    },
  };
  const request = { kind: 'vrrp', model, ctx: { basePath: self.agent.basePath, keepalivedVrrp: TIMERS }, amphora_id: self.name };
  return execFileSync(PYTHON, [RENDERER], { input: JSON.stringify(request), timeout: 30_000 }).toString();
}

async function holdsVip(amphora: Amphora): Promise<boolean> {
  const result = await runCommand('ip', ['-n', amphora.namespace, '-4', 'addr', 'show', 'dev', 'eth1']);
  return result.output.includes(`inet ${VIP}/32`);
}

async function vipHolders(): Promise<string[]> {
  const held = await Promise.all(amphorae.map(holdsVip));
  return amphorae.filter((_, index) => held[index]).map((amphora) => amphora.name);
}

/** One HTTP GET from the client namespace through the VIP. */
async function getThroughVip(): Promise<string | undefined> {
  const result = await runCommand('ip', ['netns', 'exec', client, 'curl', '-s', '-m', '1', `http://${VIP}/`], { timeoutMs: 5000 });
  return result.exitCode === 0 ? result.output : undefined;
}

async function keepalivedPid(amphora: Amphora): Promise<number | undefined> {
  const text = await readFile(join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.pid'), 'utf8').catch(() => '');
  return /^\d+/u.test(text) ? Number.parseInt(text, 10) : undefined;
}

before(async () => {
  lab = createVethLab();
  bridge = await lab.addNamespace('vnet');
  await lab.ip(bridge, 'link', 'add', 'br0', 'type', 'bridge');
  await lab.ip(bridge, 'link', 'set', 'br0', 'up');
  client = await lab.addNamespace('vcli');
  member = await lab.addNamespace('vmem');
  await lab.addVeth({ namespace: client, name: 'eth0', peerNamespace: bridge, peerName: 'cli' });
  await lab.addVeth({ namespace: member, name: 'eth0', peerNamespace: bridge, peerName: 'mem' });
  await lab.ip(bridge, 'link', 'set', 'cli', 'master', 'br0');
  await lab.ip(bridge, 'link', 'set', 'mem', 'master', 'br0');
  await lab.ip(client, 'addr', 'add', `${CLIENT}/24`, 'dev', 'eth0');
  await lab.ip(member, 'addr', 'add', `${MEMBER}/24`, 'dev', 'eth0');
  memberServer = spawn(
    'ip',
    ['netns', 'exec', member, process.execPath, '-e', `require('http').createServer((q, s) => s.end('member')).listen(8080, '${MEMBER}')`],
    { stdio: 'ignore' },
  );
  for (const [index, vrrpIp] of ['203.0.113.4', '203.0.113.5'].entries()) {
    const name = `amp${index + 1}`;
    const namespace = `t-${name}-${lab.suffix}`;
    const rootLink = `p${index}${lab.suffix}`;
    // The hot-plugged VIP port: found by MAC in the agent's namespace, moved into its own.
    await must('ip', ['link', 'add', rootLink, 'address', labMac(lab.suffix, index + 1), 'type', 'veth', 'peer', 'name', `q${index}${lab.suffix}`]);
    await must('ip', ['link', 'set', `q${index}${lab.suffix}`, 'netns', bridge, 'name', `a${index}`]);
    await lab.ip(bridge, 'link', 'set', `a${index}`, 'master', 'br0');
    await lab.ip(bridge, 'link', 'set', `a${index}`, 'up');
    const agent = await startAgentProcess({
      extraConfig: {
        amphora_agent: [`network_namespace = ${namespace}`],
        controller_worker: ['loadbalancer_topology = ACTIVE_STANDBY'],
      },
    });
    amphorae.push({ name, vrrpIp, namespace, rootLink, agent });
  }
});

after(async () => {
  for (const amphora of amphorae) {
    await amphora.agent.request('PUT', '/1.0/vrrp/stop').catch(() => undefined);
    await amphora.agent.request('DELETE', `/1.0/listeners/${lbId}`).catch(() => undefined);
    await amphora.agent.stop();
    await killHaproxyUnder(amphora.agent.directory);
    for (const pid of await processesMentioning(join(amphora.agent.basePath, 'vrrp'))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await runCommand('ip', ['netns', 'del', amphora.namespace]);
    await runCommand('ip', ['link', 'del', amphora.rootLink]);
    await amphora.agent.destroy();
  }
  memberServer?.kill('SIGKILL');
  await lab?.cleanup();
});

test('two amphorae plugged, haproxy started, VRRP configured from Octavia renderings: one MASTER holds the VIP', async () => {
  for (const amphora of amphorae) {
    const plugged = await amphora.agent.request(
      'POST',
      `/1.0/plug/vip/${VIP}`,
      JSON.stringify({
        subnet_cidr: '203.0.113.0/24',
        gateway: '203.0.113.1',
        mac_address: labMac(lab.suffix, amphorae.indexOf(amphora) + 1),
        vrrp_ip: amphora.vrrpIp,
        mtu: 1500,
        host_routes: [],
        is_sriov: false,
      }),
      { 'Content-Type': 'application/json' },
    );
    assert.equal(plugged.status, 202, plugged.text);
    // The BACKUP's haproxy binds the VIP it does not hold.
    assert.match(await must('ip', ['netns', 'exec', amphora.namespace, 'sysctl', '-n', 'net.ipv4.ip_nonlocal_bind']), /^1/u);
    const uploaded = await amphora.agent.request('PUT', `/1.0/loadbalancer/${amphora.name}/${lbId}/haproxy`, haproxyConfig(amphora.agent.basePath));
    assert.equal(uploaded.status, 202, uploaded.text);
    const started = await amphora.agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`);
    assert.equal(started.status, 202, started.text);
    const checkScript = await readFile(join(amphora.agent.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'), 'utf8');
    assert.match(checkScript, new RegExp(`haproxy-vrrp-check\\.js ${amphora.agent.basePath}/${lbId}\\.sock; exit \\$\\?$`, 'u'));
  }
  for (const amphora of amphorae) {
    // The control plane asks which interface holds the VRRP address, then renders with it.
    const lookup = await amphora.agent.request('GET', `/1.0/interface/${amphora.vrrpIp}`);
    assert.equal(lookup.status, 200, lookup.text);
    const { interface: interfaceName } = JSON.parse(lookup.text) as { interface: string };
    const config = octaviaVrrpConfig(amphora, interfaceName);
    assert.match(config, /state (MASTER|BACKUP)/u);
    const uploaded = await amphora.agent.request('PUT', '/1.0/vrrp/upload', config);
    assert.equal(uploaded.status, 200, uploaded.text);
    assert.deepEqual(JSON.parse(uploaded.text), { message: 'OK' });
    assert.equal(uploaded.headers.etag, createHash('md5').update(config).digest('hex'));
    assert.equal(await readFile(join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.conf'), 'utf8'), config);
    assert.equal((await stat(join(amphora.agent.basePath, 'vrrp', 'check_script.sh'))).mode & 0o777, 0o755);
  }
  for (const amphora of amphorae) {
    const started = await amphora.agent.request('PUT', '/1.0/vrrp/start');
    assert.equal(started.status, 202, started.text);
    assert.deepEqual(JSON.parse(started.text), { message: 'OK', details: 'keepalived started' });
  }
  // Both keepalived run side by side: each has its own pid files under its base_path.
  for (const amphora of amphorae) {
    assert.ok(await keepalivedPid(amphora), `${amphora.name} keepalived pid`);
    assert.ok(await stat(join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.vrrp.pid')));
  }
  await waitFor(async () => (await vipHolders()).join() === 'amp1', 20_000, 'the MASTER (priority 100) to hold the VIP alone');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP'), 'member');
});

test('bad input: unknown action, a configuration keepalived refuses, an upload while keepalived runs', async () => {
  const [first] = amphorae;
  const agent = first!.agent;
  const unknown = await agent.request('PUT', '/1.0/vrrp/restart');
  assert.equal(unknown.status, 400);
  assert.deepEqual(JSON.parse(unknown.text), { message: 'Invalid Request', details: 'Unknown action: restart' });
  const upper = await agent.request('PUT', '/1.0/vrrp/STOPP');
  assert.deepEqual(JSON.parse(upper.text), { message: 'Invalid Request', details: 'Unknown action: stopp' });

  const configPath = join(agent.basePath, 'vrrp', 'octavia-keepalived.conf');
  const live = await readFile(configPath, 'utf8');
  const pid = await keepalivedPid(first!);
  const refused = await agent.request('PUT', '/1.0/vrrp/upload', live.replace('virtual_router_id 1', 'virtual_router_id 1\n    bogus_keyword 7'));
  assert.equal(refused.status, 400, refused.text);
  const body = JSON.parse(refused.text) as { message: string; details: string };
  assert.equal(body.message, 'Invalid request');
  assert.match(body.details, /Unknown keyword 'bogus_keyword'/u);
  assert.equal(await readFile(configPath, 'utf8'), live, 'the running file is untouched');
  await assert.rejects(stat(`${configPath}.new`));
  assert.equal(await keepalivedPid(first!), pid, 'the running keepalived is untouched');

  // Accepted while running: stored, not applied until start (which becomes a reload).
  const changed = live.replace('garp_master_refresh_repeat 2', 'garp_master_refresh_repeat 3');
  const uploaded = await agent.request('PUT', '/1.0/vrrp/upload', changed);
  assert.equal(uploaded.status, 200, uploaded.text);
  assert.equal(await keepalivedPid(first!), pid);
  const start = await agent.request('PUT', '/1.0/vrrp/start');
  assert.equal(start.status, 202, start.text);
  assert.deepEqual(JSON.parse(start.text), { message: 'OK', details: 'keepalived reloaded' });
  assert.equal(await keepalivedPid(first!), pid, 'a reload keeps the process');
  await waitFor(async () => (await vipHolders()).join() === 'amp1', 10_000, 'the MASTER to keep the VIP across the reload');
});

test('haproxy stopped on the MASTER: the BACKUP takes the VIP; restarted: the MASTER preempts back (Octavia 11 renders state MASTER)', async () => {
  const [master, backup] = amphorae;
  const stopped = await master!.agent.request('PUT', `/1.0/loadbalancer/${lbId}/stop`);
  assert.equal(stopped.status, 202, stopped.text);
  // The last LB stopped: the check fails instead of passing (the reference's quirk V3).
  assert.equal(await readFile(join(master!.agent.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'), 'utf8'), 'exit 1');
  await waitFor(async () => (await vipHolders()).join() === backup!.name, 20_000, 'the BACKUP to take the VIP');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP on the BACKUP'), 'member');

  const started = await master!.agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`);
  assert.equal(started.status, 202, started.text);
  await waitFor(async () => (await vipHolders()).join() === master!.name, 20_000, 'the MASTER to take the VIP back');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP on the MASTER'), 'member');
});

test('keepalived killed on the MASTER: the BACKUP takes the VIP, the agent respawns keepalived, traffic resumes', async () => {
  const [master, backup] = amphorae;
  const pid = await keepalivedPid(master!);
  assert.ok(pid);
  let backupHeld = false;
  const watching = (async () => {
    const deadline = Date.now() + 20_000;
    while (!backupHeld && Date.now() < deadline) {
      backupHeld = await holdsVip(backup!);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  process.kill(pid, 'SIGKILL');
  const respawned = await waitFor(async () => {
    const next = await keepalivedPid(master!);
    return next !== undefined && next !== pid ? next : undefined;
  }, 20_000, 'the agent to respawn keepalived');
  await watching;
  assert.ok(backupHeld, 'the BACKUP held the VIP while the MASTER had no keepalived');
  assert.ok(respawned);
  await waitFor(async () => (await vipHolders()).length === 1, 20_000, 'exactly one amphora to hold the VIP');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP after the respawn'), 'member');
});

test('agent restarts: a running keepalived is adopted (same pid, still respawned); one found dead is started again', async () => {
  const backup = amphorae[1]!;
  const pid = await keepalivedPid(backup);
  assert.ok(pid);
  await backup.agent.stop();
  backup.agent = await restartAgentProcess(backup.agent);
  assert.equal(await keepalivedPid(backup), pid, 'adopted, not restarted');
  process.kill(pid, 'SIGKILL');
  const respawned = await waitFor(async () => {
    const next = await keepalivedPid(backup);
    return next !== undefined && next !== pid ? next : undefined;
  }, 20_000, 'the restarted agent to respawn keepalived');
  // Killed while no agent runs (a crash, or a reboot): started again at agent start.
  await backup.agent.stop();
  process.kill(respawned, 'SIGKILL');
  await waitFor(async () => !(await isProcessAlive(respawned)), 5000, 'keepalived to die');
  backup.agent = await restartAgentProcess(backup.agent);
  const started = await keepalivedPid(backup);
  assert.ok(started !== undefined && started !== respawned, 'started again at agent start');
  await waitFor(async () => (await vipHolders()).join() === amphorae[0]!.name, 20_000, 'the MASTER to keep the VIP');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP'), 'member');
});

test('keepalived stopped through the API: stoped (sic), and the peer holds the VIP', async () => {
  const [master, backup] = amphorae;
  const stopped = await master!.agent.request('PUT', '/1.0/vrrp/stop');
  assert.equal(stopped.status, 202, stopped.text);
  assert.deepEqual(JSON.parse(stopped.text), { message: 'OK', details: 'keepalived stoped' });
  assert.equal(await keepalivedPid(master!), undefined);
  await waitFor(async () => (await vipHolders()).join() === backup!.name, 20_000, 'the BACKUP to hold the VIP');
  assert.equal(await waitFor(getThroughVip, 10_000, 'traffic through the VIP'), 'member');
  const reload = await master!.agent.request('PUT', '/1.0/vrrp/reload');
  assert.equal(reload.status, 500, reload.text);
  assert.equal((JSON.parse(reload.text) as { message: string }).message, 'Failed to reload octavia-keepalived service');
});
