/**
 * plug_vip and plug_network against the real agent (veth pairs as hot-plugged ports), over
 * mutual TLS, each cycle on a fresh namespace. The reference agent cannot plug side by side
 * here: Debian's python3-octavia installs no `amphora-interface` executable for its plug to shell
 * out to, and its paths and namespace are fixed. What its plug always pays is measured instead:
 * one run of its own interface tool (`amphora-interface up <if>`, a Python process) on the
 * same files; its plug time is that plus its own work, so the ratio is a bound in its favour.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../agent/util/run-command.ts';
import { startAgentProcess } from '../test/helpers/agent-harness.ts';
import { percentile, round, timeIt } from './measure.ts';

const CYCLES = Number(process.env.BENCH_PLUGS ?? 10);
const suffix = Math.random().toString(16).slice(2, 8);
const namespace = `b-amp-${suffix}`;
const peers = `b-net-${suffix}`;
const mac = (index: number) => `fa:16:3e:${suffix.slice(0, 2)}:${suffix.slice(2, 4)}:${index.toString(16).padStart(2, '0')}`;

async function must(args: string[]): Promise<void> {
  const result = await runCommand('ip', args);
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${result.output}`);
}

const agent = await startAgentProcess({ extraConfig: { DEFAULT: ['debug = false'], amphora_agent: [`network_namespace = ${namespace}`] } });
await must(['netns', 'add', peers]);
const post = (path: string, body: unknown) => agent.request('POST', path, JSON.stringify(body), { 'Content-Type': 'application/json' });
const vipTimes: number[] = [];
const networkTimes: number[] = [];
const referenceTool: number[] = [];
try {
  for (let cycle = 0; cycle < CYCLES; cycle += 1) {
    for (const [index, name] of [[1, `bv${suffix}`], [2, `bm${suffix}`]] as const) {
      await must(['link', 'add', name, 'address', mac(index), 'type', 'veth', 'peer', 'name', `${name}p`]);
      await must(['link', 'set', `${name}p`, 'netns', peers, 'name', `p${index}-${cycle}`]);
      await must(['-n', peers, 'link', 'set', `p${index}-${cycle}`, 'up']);
    }
    const [vip, vipMs] = await timeIt(() =>
      post('/1.0/plug/vip/203.0.113.10', {
        subnet_cidr: '203.0.113.0/24', gateway: '203.0.113.1', mac_address: mac(1), vrrp_ip: '203.0.113.4', mtu: 1450,
        host_routes: [], additional_vips: [], is_sriov: false,
      }),
    );
    if (vip.status !== 202) throw new Error(`plug_vip: ${vip.status} ${vip.text}`);
    const [network, networkMs] = await timeIt(() =>
      post('/1.0/plug/network', { mac_address: mac(2), fixed_ips: [{ ip_address: '10.0.0.5', subnet_cidr: '10.0.0.0/24', host_routes: [] }], mtu: 1500 }),
    );
    if (network.status !== 202) throw new Error(`plug_network: ${network.status} ${network.text}`);
    vipTimes.push(vipMs);
    networkTimes.push(networkMs);
    // The reference's plug shells out to its interface tool once per plug.
    const [tool, toolMs] = await timeIt(() =>
      runCommand('ip', ['netns', 'exec', namespace, '/usr/bin/python3', '-c', 'import sys; from octavia.cmd import interface; sys.exit(interface.main())', '--config-file', agent.configFile, 'up', 'eth2']),
    );
    if (tool.exitCode === 0) referenceTool.push(toolMs);
    await must(['netns', 'del', namespace]);
    for (const name of ['eth1.json', 'eth2.json']) await rm(join(agent.directory, 'interfaces', name), { force: true });
    await rm(join(agent.basePath, 'plugged_interfaces'), { force: true });
  }
} finally {
  await agent.destroy();
  await runCommand('ip', ['netns', 'del', namespace]);
  await runCommand('ip', ['netns', 'del', peers]);
}
const report = (label: string, samples: number[]) => `${label} p50 ${round(percentile(samples, 50), 1)} ms, max ${round(Math.max(...samples), 1)} ms`;
console.log(report('plug_vip (this agent)', vipTimes));
console.log(report('plug_network (this agent)', networkTimes));
if (referenceTool.length > 0) {
  console.log(report("reference's interface tool alone, one run per plug", referenceTool));
  console.log(`ratio plug_network / reference tool alone: ${round(percentile(networkTimes, 50) / percentile(referenceTool, 50), 2)}`);
} else {
  console.log("reference's interface tool did not run here");
}
