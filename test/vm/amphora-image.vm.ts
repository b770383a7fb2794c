/**
 * The amphora image booted under qemu (TCG) with real systemd as PID 1, the agent started by its
 * unit with the default process_manager (auto → systemd), driven from the host by Octavia's own
 * client: info, details, a VIP and a member network plugged on NICs hot-plugged through QMP, the haproxy lifecycle
 * with HTTP traffic from the host through the VIP to members on the host's loopback, heartbeats
 * decoded by Octavia's health-manager code, an agent restart and a guest reboot.
 *
 * Needs the image (`npm run image`, folder from AMPHORA_IMAGE_DIR, default ./images) and root.
 * The guest is closed: see amphora-vm.ts. Run with `npm run test:vm`; failures print the guest's
 * journal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { stat } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { Agent } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writePki, type DevPki } from '../../agent/certs/dev-pki.ts';
import { REPO_ROOT, httpsCall, runOctaviaCalls, type OctaviaResult } from '../helpers/agent-harness.ts';
import { freePort } from '../helpers/free-port.ts';
import { httpGet, startMembers } from '../helpers/haproxy-fixtures.ts';
import { startPythonReceiver, type PythonReceiver } from '../helpers/heartbeat-receiver.ts';
import { AmphoraVm, writeConfigDrive } from './amphora-vm.ts';

const imageDir = resolve(process.env.AMPHORA_IMAGE_DIR ?? join(REPO_ROOT, 'images'));
const image = join(imageDir, 'amphora-x64-haproxy.qcow2');
const amphoraId = randomUUID();
const lbId = randomUUID();
const VIP = '10.0.3.10';
const VIP_MAC = '52:54:00:b0:00:02';
/** A member network port, hot-plugged as Nova's interface-attach does; 10.0.4.2 is the host's loopback there. */
const MEMBER_MAC = '52:54:00:b0:00:03';
const MEMBER_IP = '10.0.4.15';
const LISTENER_PORT = 80;
const UDP_LISTENER_PORT = 9999;

let work: string;
let pki: DevPki;
let vm: AmphoraVm;
let agentPort: number;
let vipPort: number;
let members: Awaited<ReturnType<typeof startMembers>>;
let heartbeats: PythonReceiver;
let loadBalancer: Record<string, unknown>;
let rotatedCertificate: string | undefined;
const timings: Record<string, number> = {};

function agentConfig(heartbeatPort: number): string {
  return [
    '',
    '[DEFAULT]',
    'debug = False',
    '',
    '[haproxy_amphora]',
    'base_cert_dir = /var/lib/octavia/certs',
    'base_path = /var/lib/octavia',
    'bind_host = ::',
    'bind_port = 9443',
    'haproxy_cmd = /usr/sbin/haproxy',
    '',
    '[health_manager]',
    `controller_ip_port_list = 10.0.2.2:${heartbeatPort}`,
    'heartbeat_interval = 3',
    'heartbeat_key = insecure',
    '',
    '[amphora_agent]',
    'agent_server_ca = /etc/octavia/certs/client_ca.pem',
    'agent_server_cert = /etc/octavia/certs/server.pem',
    'agent_request_read_timeout = 180',
    `amphora_id = ${amphoraId}`,
    'agent_tls_protocol = TLSv1.2',
    '',
    '[controller_worker]',
    'loadbalancer_topology = SINGLE',
  ].join('\n');
}

function octavia(calls: Record<string, unknown>[]): Promise<OctaviaResult[]> {
  return runOctaviaCalls(
    { amphora_id: amphoraId, address: '127.0.0.1', port: agentPort, client_cert: pki.files.client, server_ca: pki.files.ca, max_retries: 30 },
    calls,
  );
}

function expectOk(results: OctaviaResult[]): void {
  for (const [index, result] of results.entries()) assert.equal(result.ok, true, `call ${index}: ${result.error}: ${result.message}`);
}

/** Polls GET / over mutual TLS until the agent answers; the seconds it took. */
async function waitForAgent(timeoutMs: number): Promise<number> {
  const started = Date.now();
  const client = new Agent({ cert: pki.clientPem, key: pki.clientPem, ca: pki.caCertPem, keepAlive: false });
  while (Date.now() - started < timeoutMs) {
    try {
      const answer = await Promise.race([
        httpsCall({ port: agentPort, agent: client, method: 'GET', path: '/', servername: amphoraId }),
        new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('timeout')), 10_000)),
      ]);
      if (answer.status === 200) return (Date.now() - started) / 1000;
    } catch {
      // not up yet
    }
    if (!vm.running) throw new Error('qemu exited');
    await new Promise((done) => setTimeout(done, 1000));
  }
  throw new Error(`agent did not answer within ${timeoutMs / 1000} s`);
}

async function serves(attempts: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let index = 0; index < attempts; index++) {
    const answer = await httpGet(vipPort, 10_000);
    if (answer.ok) seen.add(answer.body!);
  }
  return seen;
}

/** The certificate the agent presents on a new connection (SHA-256 fingerprint). */
function presentedCertificate(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: agentPort, cert: pki.clientPem, key: pki.clientPem, ca: pki.caCertPem, servername: amphoraId }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
    socket.setTimeout(20_000, () => socket.destroy(new Error('TLS timeout')));
  });
}

/** Small UDP servers on the host's loopback answering their own name. */
async function startUdpMembers(names: string[]): Promise<{ ports: number[]; close(): void }> {
  const sockets = await Promise.all(
    names.map(
      (name) =>
        new Promise<ReturnType<typeof createSocket>>((resolve) => {
          const socket = createSocket('udp4');
          socket.on('message', (_message, peer) => socket.send(name, peer.port, peer.address));
          socket.bind(0, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
  return { ports: sockets.map((socket) => socket.address().port), close: () => sockets.forEach((socket) => socket.close()) };
}

/** One datagram to a host port, the answer or undefined after `timeoutMs`. */
function udpAsk(port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, timeoutMs);
    socket.once('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send('ping', port, '127.0.0.1');
  });
}

/** Runs `body`; on failure prints the guest's journal before rethrowing. */
async function withJournal(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    console.error(`---- guest journal ----\n${await vm.journal()}\n---- end of guest journal ----`);
    throw error;
  }
}

before(async () => {
  await stat(image).catch(() => {
    throw new Error(`no image at ${image}: run "npm run image" first (or set AMPHORA_IMAGE_DIR)`);
  });
  work = await mkdtemp(join(tmpdir(), 'amphora-vm-test-'));
  pki = await writePki(join(work, 'pki'), { serverNames: [amphoraId] });
  heartbeats = await startPythonReceiver('127.0.0.1', ['insecure']);
  members = await startMembers(['vm-member-1', 'vm-member-2']);
  agentPort = await freePort();
  vipPort = await freePort();
  const drive = join(work, 'config-drive');
  await writeConfigDrive(drive, {
    '/etc/octavia/amphora-agent.conf': agentConfig(heartbeats.port),
    '/etc/octavia/certs/server.pem': pki.serverPem,
    '/etc/octavia/certs/client_ca.pem': pki.caCertPem,
  });
  const booted = Date.now();
  vm = await AmphoraVm.boot({
    image,
    kernel: join(imageDir, 'amphora-x64-haproxy.vmlinuz'),
    initrd: join(imageDir, 'amphora-x64-haproxy.initrd'),
    configDrive: drive,
    agentPort,
  });
  loadBalancer = {
    lb_id: lbId,
    listener_id: randomUUID(),
    pool_id: randomUUID(),
    port: LISTENER_PORT,
    member_ports: members.ports,
    member_address: '10.0.3.2', // the host's loopback as the VIP network's user-mode stack sees it
    vip_address: VIP,
    connection_limit: 4000,
  };
  timings.bootStart = booted;
});

after(async () => {
  console.log(`vm timings: ${JSON.stringify(timings)}`);
  await vm?.destroy();
  await heartbeats?.stop();
  await members?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('boots; the config drive configures the agent, systemd starts it, Octavia reads info and details', { timeout: 900_000 }, async () => {
  await withJournal(async () => {
    timings.bootToAgentSeconds = await waitForAgent(840_000);
    const results = await octavia([{ op: 'get_info' }, { op: 'get_details' }]);
    expectOk(results);
    const info = results[0]!.value as Record<string, unknown>;
    assert.equal(typeof info.haproxy_version, 'string');
    const details = results[1]!.value as Record<string, unknown>;
    assert.equal(details.hostname, 'amphora');
    const owners = await vm.exec('stat -c "%U:%G %a" /etc/octavia/amphora-agent.conf /etc/octavia/certs/server.pem /etc/octavia/certs/client_ca.pem');
    assert.deepEqual(owners.output.trim().split('\n'), ['root:root 660', 'root:root 660', 'root:root 660']);
    const unit = await vm.exec('systemctl is-active amphora-agent var-lib-octavia-certs.mount; findmnt -no FSTYPE /var/lib/octavia/certs');
    assert.equal(unit.output.trim().split('\n').join(' '), 'active active tmpfs');
    const memory = await vm.exec('free -m | awk \'/^Mem:/ {print $3}\'; systemctl show amphora-agent -p MemoryCurrent --value');
    const [usedMiB, agentBytes] = memory.output.trim().split('\n');
    timings.guestMemoryUsedMiB = Number(usedMiB);
    timings.agentMemoryMiB = Math.round(Number(agentBytes) / 1048576);
    const startup = await vm.exec('journalctl -b -o short-monotonic --no-pager -u amphora-agent | grep -m1 -E "Started|amphora agent listening"; journalctl -b -o short-monotonic --no-pager -u amphora-agent | grep -m1 "amphora agent listening"');
    const stamps = [...startup.output.matchAll(/^\[\s*([\d.]+)\]/gmu)].map((match) => Number(match[1]));
    if (stamps.length === 2) timings.agentStartSeconds = Math.round((stamps[1]! - stamps[0]!) * 10) / 10;
  });
});

test('heartbeats reach the host and decode with Octavia\'s health-manager code', { timeout: 120_000 }, async () => {
  await withJournal(async () => {
    const received = await heartbeats.waitFor(1, 60_000);
    const decoded = received.at(-1)!.results.insecure!.ok!;
    assert.equal(decoded.id, amphoraId);
    assert.equal(received.at(-1)!.source, '127.0.0.1');
  });
});

test('a NIC hot-plugged through QMP becomes the VIP; Octavia uploads a listener; HTTP flows host → VIP → members', { timeout: 600_000 }, async () => {
  await withJournal(async () => {
    await vm.qmp('netdev_add', { type: 'user', id: 'vipnet', net: '10.0.3.0/24' });
    await vm.qmp('device_add', { driver: 'virtio-net-pci', id: 'vipnic', netdev: 'vipnet', mac: VIP_MAC });
    const deadline = Date.now() + 120_000;
    while (!(await vm.exec('ip -o link')).output.includes(VIP_MAC)) {
      assert.ok(Date.now() < deadline, 'the guest never saw the hot-plugged NIC');
      await new Promise((done) => setTimeout(done, 2000));
    }
    await vm.monitor(`hostfwd_add vipnet tcp:127.0.0.1:${vipPort}-${VIP}:${LISTENER_PORT}`);
    const plug = await octavia([
      { op: 'post_vip_plug', vip: VIP, vrrp_ip: '10.0.3.15', mac: VIP_MAC, mtu: 1500, subnet: { cidr: '10.0.3.0/24', gateway: '10.0.3.2' } },
      { op: 'update_listeners', ...loadBalancer },
      { op: 'client', method: 'get_all_listeners' },
    ]);
    expectOk(plug);
    assert.deepEqual(plug[2]!.value, [{ status: 'ACTIVE', uuid: loadBalancer.listener_id, type: 'HTTP' }]);
    const units = await vm.exec(`systemctl is-active haproxy-${lbId}.service amphora-netns.service`);
    assert.equal(units.output.trim().split('\n').join(' '), 'active active', units.output);
    assert.deepEqual([...(await serves(8))].sort(), ['vm-member-1', 'vm-member-2']);
  });
});

/** From inside the amphora namespace, through the member network: a host member's name, or why not. */
async function memberThroughMemberNetwork(): Promise<string> {
  const fetchCommand = `fetch('http://10.0.4.2:${members.ports[0]}/').then((r) => r.text()).then((t) => console.log(t.trim()), (e) => console.log('error', e.cause?.code ?? e.message))`;
  const result = await vm.exec(`ip netns exec amphora-haproxy /opt/amphora-agent/node_modules/node/bin/node -e "${fetchCommand}"`);
  return result.output.trim();
}

test('a second NIC hot-plugged through QMP is plugged as a member network; the namespace reaches members through it', { timeout: 600_000 }, async () => {
  await withJournal(async () => {
    await vm.qmp('netdev_add', { type: 'user', id: 'membernet', net: '10.0.4.0/24' });
    await vm.qmp('device_add', { driver: 'virtio-net-pci', id: 'membernic', netdev: 'membernet', mac: MEMBER_MAC });
    const deadline = Date.now() + 120_000;
    while (!(await vm.exec('ip -o link')).output.includes(MEMBER_MAC)) {
      assert.ok(Date.now() < deadline, 'the guest never saw the hot-plugged member NIC');
      await new Promise((done) => setTimeout(done, 2000));
    }
    const plug = await octavia([
      { op: 'post_network_plug', mac: MEMBER_MAC, mtu: 1500, fixed_ips: [{ ip_address: MEMBER_IP, subnet: { cidr: '10.0.4.0/24', gateway: '10.0.4.2' } }] },
    ]);
    expectOk(plug);
    const addresses = await vm.exec('ip netns exec amphora-haproxy ip -o -4 addr show');
    assert.match(addresses.output, new RegExp(`eth2\\s+inet ${MEMBER_IP.replaceAll('.', '\\.')}/24`, 'u'), addresses.output);
    assert.equal(await memberThroughMemberNetwork(), 'vm-member-1');
  });
});

test('Octavia updates the agent configuration and rotates the server certificate', { timeout: 300_000 }, async () => {
  await withJournal(async () => {
    const changed = agentConfig(heartbeats.port).replace('heartbeat_interval = 3', 'heartbeat_interval = 2');
    const fresh = pki.authority.issue(amphoraId, [amphoraId]);
    const results = await octavia([
      { op: 'update_agent_config', text: changed },
      { op: 'upload_server_cert', pem: fresh.certPem + fresh.keyPem },
      { op: 'get_info' },
    ]);
    expectOk(results);
    assert.equal((await vm.exec('cat /etc/octavia/amphora-agent.conf')).output, changed);
    rotatedCertificate = new X509Certificate(fresh.certPem).fingerprint256;
    assert.equal(await presentedCertificate(), rotatedCertificate);
  });
});

test('a UDP listener forwards real datagrams through IPVS from the host via the VIP to members', { timeout: 300_000 }, async () => {
  const udpMembers = await startUdpMembers(['udp-member-1', 'udp-member-2']);
  try {
    await withJournal(async () => {
      const udpPort = await freePort();
      await vm.monitor(`hostfwd_add vipnet udp:127.0.0.1:${udpPort}-${VIP}:${UDP_LISTENER_PORT}`);
      const listener = {
        lb_id: randomUUID(),
        listener_id: randomUUID(),
        pool_id: randomUUID(),
        port: UDP_LISTENER_PORT,
        namespace: 'amphora-haproxy',
        member_ports: udpMembers.ports,
        member_address: '10.0.3.2',
        vip_address: VIP,
      };
      expectOk(await octavia([{ op: 'update_lvs_listeners', ...listener }]));
      const seen = new Set<string>();
      const deadline = Date.now() + 120_000;
      while (seen.size < 2 && Date.now() < deadline) {
        const answer = await udpAsk(udpPort, 3000);
        if (answer) seen.add(answer);
      }
      const ipvs = await vm.exec('ip netns exec amphora-haproxy ipvsadm -Ln');
      assert.deepEqual([...seen].sort(), ['udp-member-1', 'udp-member-2'], ipvs.output);
      assert.match(ipvs.output, new RegExp(`UDP\\s+${VIP.replaceAll('.', '\\.')}:${UDP_LISTENER_PORT}`, 'u'));
      expectOk(await octavia([{ op: 'delete_lvs_listener', ...listener }]));
    });
  } finally {
    udpMembers.close();
  }
});

test('systemctl restart amphora-agent: haproxy keeps serving, the agent answers again', { timeout: 600_000 }, async () => {
  await withJournal(async () => {
    await vm.exec('systemctl restart amphora-agent');
    timings.restartToAgentSeconds = await waitForAgent(300_000);
    assert.deepEqual([...(await serves(6))].sort(), ['vm-member-1', 'vm-member-2']);
    expectOk(await octavia([{ op: 'get_info' }, { op: 'lb_action', action: 'reload', ...loadBalancer }]));
    assert.deepEqual([...(await serves(6))].sort(), ['vm-member-1', 'vm-member-2']);
  });
});

test('a guest reboot: the agent, the VIP namespace and the load balancer come back and serve', { timeout: 900_000 }, async () => {
  await withJournal(async () => {
    const before = (await vm.exec('cat /proc/sys/kernel/random/boot_id')).output.trim();
    await vm.exec('systemctl --no-block reboot');
    const rebooted = Date.now();
    const deadline = rebooted + 600_000;
    for (;;) {
      assert.ok(Date.now() < deadline, 'the guest did not come back');
      await new Promise((done) => setTimeout(done, 5000));
      const now = await vm.exec('cat /proc/sys/kernel/random/boot_id', 10_000).catch(() => undefined);
      if (now && now.exitCode === 0 && now.output.trim() !== before) break;
    }
    await waitForAgent(600_000);
    timings.rebootToAgentSeconds = (Date.now() - rebooted) / 1000;
    const results = await octavia([{ op: 'client', method: 'get_all_listeners' }]);
    expectOk(results);
    assert.deepEqual(results[0]!.value, [{ status: 'ACTIVE', uuid: loadBalancer.listener_id, type: 'HTTP' }]);
    const servedDeadline = Date.now() + 120_000;
    let seen = new Set<string>();
    while (seen.size < 2 && Date.now() < servedDeadline) seen = await serves(6);
    assert.deepEqual([...seen].sort(), ['vm-member-1', 'vm-member-2']);
    if (rotatedCertificate) assert.equal(await presentedCertificate(), rotatedCertificate, 'the rotated certificate survives the reboot');
    // amphora-netns re-plugged the member network from the registry too.
    assert.equal(await memberThroughMemberNetwork(), 'vm-member-1');
    const before2 = heartbeats.received.length;
    await heartbeats.waitFor(before2 + 1, 60_000);
  });
});
