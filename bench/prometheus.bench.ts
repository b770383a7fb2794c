/**
 * Metrics proxy benchmark: scrape latency through a PROMETHEUS listener of a real haproxy whose
 * pool has 1,000 members, and the proxy's memory, side by side:
 *
 * - haproxy's own exporter, read directly (the floor every proxy adds to);
 * - the `prometheus-proxy` executable of this package (its own process, as the systemd unit runs it);
 * - the agent serving the endpoint in its own process (direct process manager), measured as the
 *   agent's memory with the endpoint minus the agent's memory without it;
 * - Octavia's Python proxy, /usr/bin/prometheus-proxy from python3-octavia, unmodified.
 *
 * The bench re-runs itself under `unshare --mount --net` with a tmpfs over /run/netns, so its
 * `amphora-haproxy` namespace (the name Octavia's proxy hard-codes) is private to it. Memory is
 * PSS on private copies of each runtime's binary, as bench/api.bench.ts measures it.
 */
import { execSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writePki } from '../agent/certs/dev-pki.ts';
import { fetchExporter, type ExporterResult } from '../agent/metrics/upstream.ts';
import { AGENT_MAIN, NODE, REPO_ROOT, httpsCall, renderConfig } from '../test/helpers/agent-harness.ts';
import { exporterHaproxyConfig } from '../test/helpers/metrics-fixtures.ts';
import { controllerClient, launcherRuntime, percentile, round, timeIt, treeMemory } from './measure.ts';

const MEMBERS = Number(process.env.BENCH_METRICS_MEMBERS ?? 1000);
const SCRAPES = Number(process.env.BENCH_METRICS_SCRAPES ?? 30);
const NS = 'amphora-haproxy';
const LISTENER_PORT = 9090;
const PROXY_MAIN = join(REPO_ROOT, 'dist', 'agent', 'metrics', 'main.js');

if (process.env.AMPHORA_METRICS_BENCH_ISOLATED !== '1') {
  const result = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', process.execPath, import.meta.filename], {
    env: { ...process.env, AMPHORA_METRICS_BENCH_ISOLATED: '1' },
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}

const sh = (command: string) => execSync(command, { stdio: 'pipe' });
mkdirSync('/run/netns', { recursive: true });
sh('mount -t tmpfs tmpfs /run/netns');
sh('ip link set lo up');
sh(`ip netns add ${NS}`);
sh(`ip -n ${NS} link set lo up`);

const scrape = (port: number): Promise<ExporterResult> =>
  fetchExporter({ namespace: NS, host: '127.0.0.1', port, path: '/metrics', timeoutMs: 20_000, maxBytes: 512 * 1024 * 1024 });

async function waitForScrape(child: ChildProcess | undefined, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const answer = await scrape(LISTENER_PORT);
    if (answer.ok) return;
    if (Date.now() > deadline) throw new Error(`${name}: no scrape within 30 s (${answer.detail})`);
    await sleep(100);
  }
}

interface Latency {
  p50: number;
  p99: number;
  lines: number;
  bytes: number;
}

async function latency(port: number, name: string): Promise<Latency> {
  for (let warm = 0; warm < 3; warm++) await scrape(port);
  const samples: number[] = [];
  let last = '';
  for (let index = 0; index < SCRAPES; index++) {
    const [answer, ms] = await timeIt(() => scrape(port));
    if (!answer.ok) throw new Error(`${name}: scrape failed: ${answer.detail}`);
    samples.push(ms);
    last = answer.body;
  }
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), lines: last.split('\n').length - 1, bytes: Buffer.byteLength(last) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const exited = new Promise((done) => child.once('exit', done));
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface Row {
  name: string;
  latency: Latency;
  idle?: Awaited<ReturnType<typeof treeMemory>>;
  loaded?: Awaited<ReturnType<typeof treeMemory>>;
  note?: string;
}

async function measureProcess(name: string, command: string, args: string[], env: Record<string, string> = {}): Promise<Row> {
  const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  try {
    await waitForScrape(child, name);
    await sleep(1000);
    const idle = await treeMemory(child.pid!);
    const measured = await latency(LISTENER_PORT, name);
    await sleep(1000);
    return { name, latency: measured, idle, loaded: await treeMemory(child.pid!) };
  } finally {
    await stop(child);
  }
}

const directory = await mkdtemp(join(tmpdir(), 'amphora-metrics-bench-'));
let haproxy: ChildProcess | undefined;
try {
  const pidFile = join(directory, 'haproxy.pid');
  await writeFile(join(directory, 'haproxy.cfg'), exporterHaproxyConfig({ pidFile, prometheusListenerPort: LISTENER_PORT, members: MEMBERS, httpListenerPort: 9080 }));
  sh(`ip netns exec ${NS} haproxy -f ${join(directory, 'haproxy.cfg')}`);
  const rows: Row[] = [{ name: 'haproxy exporter, read directly (no proxy)', latency: await latency(9101, 'haproxy') }];

  const node = join(directory, 'node');
  await copyFile(NODE, node); // a file of its own: no other process maps its pages
  await chmod(node, 0o755);
  const nodeEnv = { PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` };
  const proxyConfig = join(directory, 'proxy.conf');
  await writeFile(proxyConfig, `[haproxy_amphora]\nbase_path = ${join(directory, 'lib')}\n[amphora_agent]\nnetwork_namespace = ${NS}\n`);
  rows.push(await measureProcess('prometheus-proxy (this package, own process)', node, [...launcherRuntime(PROXY_MAIN).flags, PROXY_MAIN, '--config-file', proxyConfig], { ...launcherRuntime(PROXY_MAIN).env, ...nodeEnv }));

  // The agent with and without the endpoint in its process: the difference is the endpoint's cost.
  const pki = await writePki(join(directory, 'pki'), { serverNames: ['bench-amphora'], serverAddresses: ['127.0.0.1'] });
  const agentRows: Row[] = [];
  for (const mode of ['off', 'agent'] as const) {
    const home = join(directory, `agent-${mode}`);
    for (const folder of ['lib/certs', 'interfaces', 'systemd']) await mkdir(join(home, folder), { recursive: true });
    const configFile = join(home, 'agent.conf');
    await writeFile(
      configFile,
      renderConfig(home, 'bench-amphora', 19601, pki, {
        DEFAULT: ['debug = false'],
        amphora_agent: [`network_namespace = ${NS}`, `prometheus_proxy = ${mode}`],
        health_manager: ['controller_ip_port_list ='],
      }),
    );
    const child = spawn(node, [...launcherRuntime(AGENT_MAIN).flags, AGENT_MAIN, '--config-file', configFile], { stdio: 'ignore', env: { ...process.env, ...launcherRuntime(AGENT_MAIN).env, ...nodeEnv } });
    try {
      const client = controllerClient(pki, { keepAlive: false });
      for (let tries = 0; ; tries++) {
        if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}`);
        const answer = await httpsCall({ port: 19601, agent: client, method: 'GET', path: '/', servername: 'bench-amphora' }).catch(() => undefined);
        if (answer?.status === 200) break;
        if (tries > 600) throw new Error('agent did not start');
        await sleep(50);
      }
      if (mode === 'agent') await waitForScrape(child, 'agent');
      await sleep(1000);
      const idle = await treeMemory(child.pid!);
      // With the endpoint off the listener has no proxy (haproxy answers 503): scrape haproxy directly instead.
      const measured = await latency(mode === 'agent' ? LISTENER_PORT : 9101, `agent ${mode}`);
      await sleep(1000);
      agentRows.push({ name: `amphora-agent, endpoint ${mode === 'agent' ? 'in process' : 'off'}`, latency: measured, idle, loaded: await treeMemory(child.pid!) });
    } finally {
      await stop(child);
    }
  }
  const [agentOff, agentOn] = agentRows as [Row, Row];
  rows.push({
    ...agentOn,
    name: 'metrics endpoint in the agent (agent with it − agent without it)',
    idle: { ...agentOn.idle!, pssMb: round(agentOn.idle!.pssMb - agentOff.idle!.pssMb, 1), rssMb: round(agentOn.idle!.rssMb - agentOff.idle!.rssMb, 1), ussMb: round(agentOn.idle!.ussMb - agentOff.idle!.ussMb, 1) },
    loaded: { ...agentOn.loaded!, pssMb: round(agentOn.loaded!.pssMb - agentOff.loaded!.pssMb, 1), rssMb: round(agentOn.loaded!.rssMb - agentOff.loaded!.rssMb, 1), ussMb: round(agentOn.loaded!.ussMb - agentOff.loaded!.ussMb, 1) },
    note: `agent alone: ${agentOff.loaded!.pssMb} MB PSS after the same scrapes of haproxy`,
  });

  if (existsSync('/usr/bin/prometheus-proxy')) {
    const python = join(directory, 'python3');
    await copyFile(realpathSync('/usr/bin/python3'), python);
    await chmod(python, 0o755);
    rows.push(await measureProcess('reference /usr/bin/prometheus-proxy (python3-octavia)', python, ['/usr/bin/prometheus-proxy']));
  }

  const reference = rows.find((row) => row.name.startsWith('reference'));
  const lines = [
    `## Metrics proxy (${MEMBERS} members, ${SCRAPES} sequential scrapes through a PROMETHEUS listener)`,
    '',
    '| side | scrape p50 ms | scrape p99 ms | answer lines | answer KB | PSS idle MB | PSS after scrapes MB | RSS after scrapes MB |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.name} | ${row.latency.p50} | ${row.latency.p99} | ${row.latency.lines} | ${round(row.latency.bytes / 1024, 0)} | ${row.idle?.pssMb ?? '-'} | ${row.loaded?.pssMb ?? '-'} | ${row.loaded?.rssMb ?? '-'} |`,
    ),
    '',
    ...rows.filter((row) => row.note).map((row) => `${row.name}: ${row.note}.`),
  ];
  if (reference) {
    const ratio = (a: number, b: number) => `${round(a / b, 2)}×`;
    for (const row of rows.filter((r) => r.loaded && r !== reference)) {
      lines.push(`${row.name} vs reference: latency p50 ${ratio(row.latency.p50, reference.latency.p50)}, PSS after scrapes ${ratio(row.loaded!.pssMb, reference.loaded!.pssMb)}.`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  const pid = Number((await readFile(join(directory, 'haproxy.pid'), 'utf8').catch(() => '')).trim());
  if (pid > 0) spawnSync('kill', ['-9', String(pid)]);
  if (haproxy) await stop(haproxy);
  await rm(directory, { recursive: true, force: true });
}
