/**
 * plug_vip and plug_network time, this agent and the reference Python agent (python3-octavia)
 * side by side. The bench re-runs itself under `unshare --mount --net`: veth pairs stand for
 * Nova's ports, and tmpfs over /run/netns, /etc/octavia, /var/lib/octavia and /usr/local/bin
 * keep the reference's hard-coded paths (and the masquerade helper, a recorder here) private.
 */
import { execSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writePki, type DevPki } from '../agent/certs/dev-pki.ts';
import { AGENT_MAIN, NODE, httpsCall, renderConfig } from '../test/helpers/agent-harness.ts';
import { controllerClient, percentile, round, timeIt } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_PLUG_ROUNDS ?? 8);
const sh = (command: string) => execSync(command, { stdio: 'pipe' });
const AMPHORA_ID = 'bench-amphora';
const NS = 'amphora-haproxy';
const VIP_MAC = 'fa:16:3e:20:00:01';
const MEMBER_MAC = 'fa:16:3e:20:00:02';

if (process.env.AMPHORA_NET_BENCH_ISOLATED !== '1') {
  const result = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', process.execPath, import.meta.filename], {
    env: { ...process.env, AMPHORA_NET_BENCH_ISOLATED: '1' },
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}

for (const dir of ['/run/netns', '/usr/local/bin', '/etc/octavia', '/var/lib/octavia']) {
  mkdirSync(dir, { recursive: true });
  sh(`mount -t tmpfs tmpfs ${dir}`);
}
for (const helper of ['lvs-masquerade.sh', 'octavia-agent-lvs-masquerade']) {
  writeFileSync(`/usr/local/bin/${helper}`, '#!/bin/sh\nexit 0\n');
  chmodSync(`/usr/local/bin/${helper}`, 0o755);
}
sh('ip link set lo up');
sh('ip netns add benchsim');

/** Fresh "Nova ports" for one round. */
function resetPorts(): void {
  // The namespace stays, as on an amphora where it exists before the first plug; the ports go.
  for (const name of ['eth1', 'eth2']) spawnSync('ip', ['-n', NS, 'link', 'del', name]);
  for (const name of ['bvip', 'bmem']) spawnSync('ip', ['link', 'del', name]);
  sh(`ip link add bvip type veth peer name s-bvip netns benchsim && ip link set bvip address ${VIP_MAC}`);
  sh(`ip link add bmem type veth peer name s-bmem netns benchsim && ip link set bmem address ${MEMBER_MAC}`);
  for (const path of ['/etc/octavia/interfaces', '/var/lib/octavia/plugged_interfaces']) rmSync(path, { recursive: true, force: true });
}

/** What both plugs must have left in the namespace: a 202 alone proves nothing. */
function missingAddresses(): string[] {
  const wanted = [['eth1', '203.0.113.10'], ['eth1', '203.0.113.4'], ['eth2', '10.0.0.5']] as const;
  const links = JSON.parse(execSync(`ip -n ${NS} -j addr show`, { encoding: 'utf8' })) as { ifname: string; addr_info?: { local: string }[] }[];
  return wanted
    .filter(([ifname, address]) => !links.some((link) => link.ifname === ifname && link.addr_info?.some((info) => info.local === address)))
    .map(([ifname, address]) => `${address} on ${ifname}`);
}

const vipBody = JSON.stringify({
  subnet_cidr: '203.0.113.0/24', gateway: '203.0.113.1', mac_address: VIP_MAC, vrrp_ip: '203.0.113.4', mtu: 1450,
  host_routes: [{ destination: '198.51.100.0/24', nexthop: '203.0.113.254' }], additional_vips: [], is_sriov: false,
});
const memberBody = JSON.stringify({
  mac_address: MEMBER_MAC, mtu: 1500, is_sriov: false,
  fixed_ips: [{ ip_address: '10.0.0.5', subnet_cidr: '10.0.0.0/24', gateway: '10.0.0.1', host_routes: [] }],
});

async function measure(name: string, command: [string, string[]], port: number, pki: DevPki, env: Record<string, string> = {}) {
  const client = controllerClient(pki, { keepAlive: false });
  const call = (method: string, path: string, body?: string) =>
    httpsCall({ port, agent: client, method, path, servername: AMPHORA_ID, ...(body ? { body, headers: { 'Content-Type': 'application/json' } } : {}) });
  const child: ChildProcess = spawn(command[0], command[1], { stdio: 'ignore', env: { ...process.env, ...env } });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      if ((await call('GET', '/').catch(() => undefined))?.status === 200) break;
      await sleep(10);
    }
    const vipMs: number[] = [];
    const networkMs: number[] = [];
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      resetPorts();
      const [vip, vipTime] = await timeIt(() => call('POST', '/1.0/plug/vip/203.0.113.10', vipBody));
      if (vip.status !== 202) return { name, error: `plug/vip answered ${vip.status}: ${vip.text.slice(0, 300)}` };
      const [member, memberTime] = await timeIt(() => call('POST', '/1.0/plug/network', memberBody));
      if (member.status !== 202) return { name, error: `plug/network answered ${member.status}: ${member.text.slice(0, 300)}` };
      const missing = missingAddresses();
      if (missing.length > 0) return { name, error: `answered 202 but the namespace lacks ${missing.join(', ')}` };
      vipMs.push(vipTime);
      networkMs.push(memberTime);
    }
    return { name, plugVipP50Ms: round(percentile(vipMs, 50)), plugNetworkP50Ms: round(percentile(networkMs, 50)), rounds: ROUNDS };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
  }
}

async function prepare(directory: string, pki: DevPki, port: number): Promise<string> {
  for (const folder of ['lib/certs', 'systemd']) await mkdir(join(directory, folder), { recursive: true });
  const configFile = join(directory, 'agent.conf');
  // Both sides use the reference's default interfaces folder: its amphora-interface reads no other (Q9).
  await writeFile(configFile, renderConfig(directory, AMPHORA_ID, port, pki, {
    DEFAULT: ['debug = false'],
    health_manager: ['controller_ip_port_list ='],
    amphora_agent: ['agent_server_network_dir = /etc/octavia/interfaces/', `network_namespace = ${NS}`, 'process_manager = direct'],
  }));
  return configFile;
}

/**
 * The reference shells out to `amphora-interface` by name: under `npm run` the package's own
 * bin of that name comes first on PATH, so the reference would time this agent's tool.
 */
function withoutPackageBins(path: string): string {
  return path.split(':').filter((entry) => !entry.endsWith('/node_modules/.bin')).join(':');
}

const directory = await mkdtemp(join(tmpdir(), 'amphora-plug-bench-'));
const pki = await writePki(join(directory, 'pki'), { serverNames: [AMPHORA_ID], serverAddresses: ['127.0.0.1'] });
const ours = await measure('amphora-agent (this)', [AGENT_MAIN, ['--config-file', await prepare(join(directory, 'ours'), pki, 19511)]], 19511, pki, { PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` });
const reference = existsSync('/usr/bin/amphora-agent')
  ? await measure('reference (python3-octavia)', ['/usr/bin/python3', ['/usr/bin/amphora-agent', '--config-file', await prepare(join(directory, 'reference'), pki, 19512)]], 19512, pki, { PATH: withoutPackageBins(process.env.PATH ?? '') })
  : { name: 'reference (python3-octavia)', error: '/usr/bin/amphora-agent is not installed' };
const report: Record<string, unknown> = { ours, reference };
if ('plugVipP50Ms' in ours && 'plugVipP50Ms' in reference && ours.plugVipP50Ms !== undefined && reference.plugVipP50Ms !== undefined) {
  report.ratios = { plugVip: round(ours.plugVipP50Ms / reference.plugVipP50Ms), plugNetwork: round(ours.plugNetworkP50Ms! / reference.plugNetworkP50Ms!) };
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
rmSync(directory, { recursive: true, force: true });
