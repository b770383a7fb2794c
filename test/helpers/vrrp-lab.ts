import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../agent/util/run-command.ts';
import { startAgentProcess, type AgentHandle } from './agent-harness.ts';
import { killHaproxyUnder, processesMentioning } from './haproxy-fixtures.ts';
import { createVethLab, labMac, type VethLab } from './veth-lab.ts';

/**
 * Two amphorae of an ACTIVE_STANDBY load balancer on one machine: each a real agent (direct
 * process manager) with its own network namespace, its VIP port a veth found by MAC and
 * plugged by the agent, all ports on one bridge with a client and a member namespace. Names
 * are unique to the run; `cleanup()` removes everything, also after a failure half-way.
 */

export const VIP = '203.0.113.10';
export const MEMBER = '203.0.113.60';
const CLIENT = '203.0.113.50';
const PYTHON = '/usr/bin/python3';
const RENDERER = new URL('../interop/octavia_render.py', import.meta.url).pathname;

/** `[keepalived_vrrp]` timers as Octavia's renderer takes them, plus the VRRP group's advert_int. */
export interface VrrpTimers {
  checkInterval: number;
  failCount: number;
  successCount: number;
  garpRefreshInterval: number;
  garpRefreshCount: number;
  advertInt: number;
}

/** Octavia's defaults ([keepalived_vrrp] and the group's advert_int). */
export const OCTAVIA_DEFAULT_TIMERS: VrrpTimers = {
  checkInterval: 5,
  failCount: 2,
  successCount: 2,
  garpRefreshInterval: 5,
  garpRefreshCount: 2,
  advertInt: 1,
};

export interface LabAmphora {
  name: string;
  vrrpIp: string;
  namespace: string;
  rootLink: string;
  agent: AgentHandle;
}

export interface VrrpLab {
  lbId: string;
  amphorae: LabAmphora[];
  /** The VIP port plugged on both amphorae, as the controller does first. */
  plug(): Promise<void>;
  /** plug(), then haproxy upload + start and VRRP from Octavia's renderer (upload + start) on both. */
  configure(): Promise<void>;
  /** keepalived.conf of `amphora` exactly as Octavia 11 renders it (first amphora MASTER). */
  octaviaVrrpConfig(amphora: LabAmphora, interfaceName: string): string;
  holdsVip(amphora: LabAmphora): Promise<boolean>;
  vipHolders(): Promise<string[]>;
  /** One HTTP GET from the client namespace through the VIP: the body, or undefined. */
  getThroughVip(timeoutSeconds?: number, port?: number): Promise<string | undefined>;
  keepalivedPid(amphora: LabAmphora): Promise<number | undefined>;
  /** The MAC the client's neighbour table holds for the VIP (learnt from ARP or a GARP). */
  clientVipMac(): Promise<string | undefined>;
  macOf(amphora: LabAmphora): string;
  /** Another load balancer a test creates on both amphorae: deleted by cleanup() too. */
  track(lbId: string): void;
  cleanup(): Promise<void>;
}

async function must(file: string, args: string[]): Promise<string> {
  const result = await runCommand(file, args, { timeoutMs: 15_000 });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.output}`);
  return result.output;
}

function expect(answer: { status: number; text: string }, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.text}`);
}

function haproxyConfig(basePath: string, lbId: string, listenerId: string): string {
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
    '    default_backend pool',
    '',
    'backend pool',
    '    mode http',
    `    server member ${MEMBER}:8080`,
    '',
  ].join('\n');
}

export async function createVrrpLab(timers: VrrpTimers): Promise<VrrpLab> {
  const veths: VethLab = createVethLab();
  const lbId = randomUUID();
  const listenerId = randomUUID();
  const amphorae: LabAmphora[] = [];
  let memberServer: ChildProcess | undefined;
  let client = '';
  const extraLoadBalancers: string[] = [];

  const lab: VrrpLab = {
    lbId,
    amphorae,
    async plug() {
      for (const [index, amphora] of amphorae.entries()) {
        const plugged = await amphora.agent.request(
          'POST',
          `/1.0/plug/vip/${VIP}`,
          JSON.stringify({
            subnet_cidr: '203.0.113.0/24',
            gateway: '203.0.113.1',
            mac_address: labMac(veths.suffix, index + 1),
            vrrp_ip: amphora.vrrpIp,
            mtu: 1500,
            host_routes: [],
            is_sriov: false,
          }),
          { 'Content-Type': 'application/json' },
        );
        expect(plugged, 202, `plug ${amphora.name}`);
      }
    },
    async configure() {
      await lab.plug();
      for (const amphora of amphorae) {
        const uploaded = await amphora.agent.request('PUT', `/1.0/loadbalancer/${amphora.name}/${lbId}/haproxy`, haproxyConfig(amphora.agent.basePath, lbId, listenerId));
        expect(uploaded, 202, `haproxy upload ${amphora.name}`);
        expect(await amphora.agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`), 202, `haproxy start ${amphora.name}`);
      }
      for (const amphora of amphorae) {
        // The control plane asks which interface holds the VRRP address, then renders with it.
        const lookup = await amphora.agent.request('GET', `/1.0/interface/${amphora.vrrpIp}`);
        expect(lookup, 200, `interface lookup ${amphora.name}`);
        const { interface: interfaceName } = JSON.parse(lookup.text) as { interface: string };
        expect(await amphora.agent.request('PUT', '/1.0/vrrp/upload', lab.octaviaVrrpConfig(amphora, interfaceName)), 200, `VRRP upload ${amphora.name}`);
      }
      for (const amphora of amphorae) expect(await amphora.agent.request('PUT', '/1.0/vrrp/start'), 202, `VRRP start ${amphora.name}`);
    },
    octaviaVrrpConfig(self, interfaceName) {
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
          vrrp_group: { vrrp_group_name: lbId.replaceAll('-', ''), vrrp_auth_type: 'PASS', vrrp_auth_pass: 'a1b2c3d', advert_int: timers.advertInt },
        },
      };
      const { advertInt: _advertInt, ...keepalivedVrrp } = timers;
      const request = { kind: 'vrrp', model, ctx: { basePath: self.agent.basePath, keepalivedVrrp }, amphora_id: self.name };
      return execFileSync(PYTHON, [RENDERER], { input: JSON.stringify(request), timeout: 30_000 }).toString();
    },
    async holdsVip(amphora) {
      const result = await runCommand('ip', ['-n', amphora.namespace, '-4', 'addr', 'show', 'dev', 'eth1']);
      return result.output.includes(`inet ${VIP}/32`);
    },
    async vipHolders() {
      const held = await Promise.all(amphorae.map((amphora) => lab.holdsVip(amphora)));
      return amphorae.filter((_, index) => held[index]).map((amphora) => amphora.name);
    },
    async getThroughVip(timeoutSeconds = 1, port = 80) {
      const result = await runCommand('ip', ['netns', 'exec', client, 'curl', '-s', '-m', String(timeoutSeconds), `http://${VIP}:${port}/`], { timeoutMs: 5000 });
      return result.exitCode === 0 ? result.output : undefined;
    },
    async keepalivedPid(amphora) {
      const text = await readFile(join(amphora.agent.basePath, 'vrrp', 'octavia-keepalived.pid'), 'utf8').catch(() => '');
      return /^\d+/u.test(text) ? Number.parseInt(text, 10) : undefined;
    },
    async clientVipMac() {
      const result = await runCommand('ip', ['-n', client, 'neigh', 'show', VIP]);
      return /lladdr ([0-9a-f:]{17})/u.exec(result.output)?.[1];
    },
    macOf(amphora) {
      return labMac(veths.suffix, amphorae.indexOf(amphora) + 1);
    },
    track(id) {
      extraLoadBalancers.push(id);
    },
    async cleanup() {
      for (const amphora of amphorae) {
        await amphora.agent.request('PUT', '/1.0/vrrp/stop').catch(() => undefined);
        for (const id of [lbId, ...extraLoadBalancers]) await amphora.agent.request('DELETE', `/1.0/listeners/${id}`).catch(() => undefined);
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
      await veths.cleanup();
    },
  };

  try {
    const bridge = await veths.addNamespace('vnet');
    await veths.ip(bridge, 'link', 'add', 'br0', 'type', 'bridge');
    await veths.ip(bridge, 'link', 'set', 'br0', 'up');
    client = await veths.addNamespace('vcli');
    const member = await veths.addNamespace('vmem');
    await veths.addVeth({ namespace: client, name: 'eth0', peerNamespace: bridge, peerName: 'cli' });
    await veths.addVeth({ namespace: member, name: 'eth0', peerNamespace: bridge, peerName: 'mem' });
    await veths.ip(bridge, 'link', 'set', 'cli', 'master', 'br0');
    await veths.ip(bridge, 'link', 'set', 'mem', 'master', 'br0');
    await veths.ip(client, 'addr', 'add', `${CLIENT}/24`, 'dev', 'eth0');
    await veths.ip(member, 'addr', 'add', `${MEMBER}/24`, 'dev', 'eth0');
    memberServer = spawn(
      'ip',
      ['netns', 'exec', member, process.execPath, '-e', `require('http').createServer((q, s) => s.end('member')).listen(8080, '${MEMBER}')`],
      { stdio: 'ignore' },
    );
    for (const [index, vrrpIp] of ['203.0.113.4', '203.0.113.5'].entries()) {
      const name = `amp${index + 1}`;
      const rootLink = `p${index}${veths.suffix}`;
      const farEnd = `q${index}${veths.suffix}`;
      // The hot-plugged VIP port: found by MAC in the agent's namespace, moved into its own.
      await must('ip', ['link', 'add', rootLink, 'address', labMac(veths.suffix, index + 1), 'type', 'veth', 'peer', 'name', farEnd]);
      const namespace = `t-${name}-${veths.suffix}`;
      await must('ip', ['link', 'set', farEnd, 'netns', bridge, 'name', `a${index}`]);
      await veths.ip(bridge, 'link', 'set', `a${index}`, 'master', 'br0');
      await veths.ip(bridge, 'link', 'set', `a${index}`, 'up');
      const agent = await startAgentProcess({
        extraConfig: {
          amphora_agent: [`network_namespace = ${namespace}`],
          controller_worker: ['loadbalancer_topology = ACTIVE_STANDBY'],
        },
      }).catch(async (error: unknown) => {
        await runCommand('ip', ['link', 'del', rootLink]);
        throw error;
      });
      amphorae.push({ name, vrrpIp, namespace, rootLink, agent });
    }
  } catch (error) {
    await lab.cleanup();
    throw error;
  }
  return lab;
}
