/**
 * Plugging with the systemd process manager: the same plug as with the direct one (the NIC
 * moved into the namespace, files, registry), while the boot path is left to the image's
 * amphora-netns unit: at start the agent writes the lo file, and neither creates the
 * namespace nor moves NICs back itself. systemd is not PID 1 here; nothing in this path calls systemctl.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { restartAgentProcess, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { createVethLab, labMac } from '../helpers/veth-lab.ts';
import { runCommand } from '../../agent/util/run-command.ts';

const lab = createVethLab();
const amphora = `t-sd-${lab.suffix}`;
const port = `ps${lab.suffix}`;
let agent: AgentHandle | undefined;

after(async () => {
  await agent?.destroy();
  await runCommand('ip', ['netns', 'del', amphora]);
  await runCommand('ip', ['link', 'del', port]);
  await lab.cleanup();
});

test('systemd process manager: plug/vip moves the NIC in; at start only the lo file is written; namespace and NICs are the unit\'s', { timeout: 60_000 }, async () => {
  const tenant = await lab.addNamespace('ten');
  const mac = labMac(lab.suffix, 7);
  const added = await runCommand('ip', ['link', 'add', port, 'address', mac, 'type', 'veth', 'peer', 'name', 'gw', 'netns', tenant]);
  assert.equal(added.exitCode, 0, added.output);
  agent = await startAgentProcess({ extraConfig: { amphora_agent: ['process_manager = systemd', `network_namespace = ${amphora}`] } });

  const answer = await agent.request(
    'POST',
    '/1.0/plug/vip/192.0.2.10',
    JSON.stringify({ subnet_cidr: '192.0.2.0/24', gateway: '192.0.2.1', mac_address: mac, vrrp_ip: '192.0.2.4', mtu: 1500, host_routes: [], additional_vips: [], is_sriov: false }),
    { 'Content-Type': 'application/json' },
  );
  assert.equal(answer.status, 202, answer.text);
  const [link] = JSON.parse((await runCommand('ip', ['-n', amphora, '-j', 'addr', 'show', 'eth1'])).output) as { address: string; addr_info: { local: string }[] }[];
  assert.equal(link?.address, mac);
  assert.ok(link?.addr_info.some((info) => info.local === '192.0.2.10'));
  assert.equal(await readFile(join(agent.basePath, 'plugged_interfaces'), 'utf8'), `${mac} eth1\n`);

  // A reboot: the namespace is gone, the port is back in the root namespace.
  await agent.stop();
  await runCommand('ip', ['netns', 'del', amphora]);
  await runCommand('ip', ['link', 'add', port, 'address', mac, 'type', 'veth', 'peer', 'name', 'gw2', 'netns', tenant]);
  agent = await restartAgentProcess(agent);
  // The unit's `amphora-interface up all` brings lo up from this file, as the reference's plug_lo.
  assert.match(await readFile(join(agent.directory, 'interfaces', 'lo.json'), 'utf8'), /"name": "lo"/u);
  const root = await runCommand('ip', ['-j', 'link', 'show', port]);
  assert.equal(root.exitCode, 0, 'under systemd the amphora-netns unit moves NICs back, not the agent');
  const namespaces = (await runCommand('ip', ['netns', 'list'])).output;
  assert.ok(!namespaces.includes(amphora), 'nor does it create the namespace: the unit does');
});
