/**
 * Boot benchmark of amphora images under qemu (TCG), closed as in the VM test: for each image
 * found (this agent's, and the Python agent's when built with `npm run image -- --python`),
 * several boots of a fresh overlay, each measuring
 *   - boot to agent ready: qemu start to the first GET / answered over mutual TLS (host clock),
 *   - the agent's own share: its unit's main process start to ready (guest clock; ready is the
 *     guest uptime read right after the host saw the answer, so it errs by a second at most),
 *   - memory: guest memory in use (free) and the resident memory of the agent's processes.
 * No load balancer is configured. Usage: node bench/vm-boot.ts [IMAGE_DIR] [BOOTS]
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writePki } from '../agent/certs/dev-pki.ts';
import { REPO_ROOT, httpsCall } from '../test/helpers/agent-harness.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { AmphoraVm, writeConfigDrive } from '../test/vm/amphora-vm.ts';
import { controllerClient } from './measure.ts';

const imageDir = resolve(process.argv[2] ?? join(REPO_ROOT, 'images'));
const boots = Number(process.argv[3] ?? 3);
const flavours = [
  { name: 'this agent', file: 'amphora-x64-haproxy', unit: 'amphora-agent.service' },
  { name: 'Python agent (Debian octavia-agent 11)', file: 'amphora-x64-haproxy-python', unit: 'octavia-agent.service' },
].filter((flavour) => existsSync(join(imageDir, `${flavour.file}.qcow2`)));

interface Sample {
  bootToReady: number;
  agentShare: number;
  guestUsedMiB: number;
  agentRssMiB: number;
}

function config(amphoraId: string): string {
  return [
    '[DEFAULT]',
    'debug = False',
    '[haproxy_amphora]',
    'base_cert_dir = /var/lib/octavia/certs',
    'base_path = /var/lib/octavia',
    'bind_host = ::',
    'bind_port = 9443',
    '[health_manager]',
    'controller_ip_port_list = 10.0.2.2:5555',
    'heartbeat_interval = 10',
    'heartbeat_key = insecure',
    '[amphora_agent]',
    'agent_server_ca = /etc/octavia/certs/client_ca.pem',
    'agent_server_cert = /etc/octavia/certs/server.pem',
    `amphora_id = ${amphoraId}`,
    '[controller_worker]',
    'loadbalancer_topology = SINGLE',
  ].join('\n');
}

async function bootOnce(file: string, unit: string): Promise<Sample> {
  const work = await mkdtemp(join(tmpdir(), 'amphora-bench-'));
  const amphoraId = randomUUID();
  const pki = await writePki(join(work, 'pki'), { serverNames: [amphoraId] });
  await writeConfigDrive(join(work, 'drive'), {
    '/etc/octavia/amphora-agent.conf': config(amphoraId),
    '/etc/octavia/certs/server.pem': pki.serverPem,
    '/etc/octavia/certs/client_ca.pem': pki.caCertPem,
  });
  const agentPort = await freePort();
  const started = Date.now();
  const vm = await AmphoraVm.boot({
    image: join(imageDir, `${file}.qcow2`),
    kernel: join(imageDir, `${file}.vmlinuz`),
    initrd: join(imageDir, `${file}.initrd`),
    configDrive: join(work, 'drive'),
    agentPort,
  });
  try {
    const client = controllerClient(pki, { keepAlive: false });
    for (;;) {
      if (Date.now() - started > 900_000) throw new Error(`${file}: no agent after 900 s\n${await vm.journal(80)}`);
      const answered = await Promise.race([
        httpsCall({ port: agentPort, agent: client, method: 'GET', path: '/', servername: amphoraId }).then((answer) => answer.status === 200, () => false),
        new Promise<boolean>((done) => setTimeout(() => done(false), 5000)),
      ]);
      if (answered) break;
      await new Promise((done) => setTimeout(done, 500));
    }
    const bootToReady = (Date.now() - started) / 1000;
    const probe = await vm.exec(
      [
        'cut -d" " -f1 /proc/uptime',
        `systemctl show -p ExecMainStartTimestampMonotonic --value ${unit}`,
        "free -m | awk '/^Mem:/ {print $3}'",
        `for pid in $(cat /sys/fs/cgroup/system.slice/${unit}/cgroup.procs); do ps -o rss= -p $pid; done | awk '{sum += $1} END {print sum}'`,
      ].join('; '),
    );
    const [uptime, mainStart, used, rss] = probe.output.trim().split('\n').map(Number);
    return { bootToReady, agentShare: uptime! - mainStart! / 1e6, guestUsedMiB: used!, agentRssMiB: rss! / 1024 };
  } finally {
    await vm.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

function summary(values: number[], digits = 1): string {
  const sorted = [...values].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return `p50 ${p50.toFixed(digits)} max ${sorted.at(-1)!.toFixed(digits)}`;
}

if (flavours.length === 0) throw new Error(`no image in ${imageDir}: run "npm run image" first`);
for (const flavour of flavours) {
  const samples: Sample[] = [];
  for (let index = 0; index < boots; index++) {
    const sample = await bootOnce(flavour.file, flavour.unit);
    samples.push(sample);
    console.log(`${flavour.name} boot ${index + 1}: ${JSON.stringify(sample)}`);
  }
  console.log(
    `${flavour.name} (${boots} boots): boot to agent ready ${summary(samples.map((s) => s.bootToReady))} s; ` +
      `agent start to ready ${summary(samples.map((s) => s.agentShare))} s; ` +
      `guest memory used ${summary(samples.map((s) => s.guestUsedMiB), 0)} MiB; agent RSS ${summary(samples.map((s) => s.agentRssMiB), 0)} MiB`,
  );
}
